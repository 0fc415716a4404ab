export { EventBusTestingModule } from './event-bus-testing.module';
export type { EventBusTestingOptions } from './event-bus-testing.module';
export { EventBusTestHelper } from './event-bus-test.helper';
export type { HandledWaitOptions, SentTestEvent, WaitOptions } from './event-bus-test.helper';
