export { UserRegistered } from './user-registered.event';
export { UserRegisteredV1 } from './user-registered.v1.event';
export { CONTRACT_UPCASTERS, UserRegisteredV1ToV2 } from './user-registered.upcasters';
