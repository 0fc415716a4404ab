/** user-service as a package: its module and configuration, for the demo and the tests. */
export { AppModule } from './app.module';
export { loadUserServiceConfig } from './config';
export type { UserServiceConfig } from './config';
