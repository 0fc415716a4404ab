export { UserRegistered } from './user-registered.event';
