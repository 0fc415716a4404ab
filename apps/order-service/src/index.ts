/** order-service as a package: its module and configuration, for the demo and the tests. */
export { AppModule } from './app.module';
export { loadOrderServiceConfig } from './config';
export type { OrderServiceConfig } from './config';
