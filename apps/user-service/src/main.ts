import { bootstrapService } from '@nestbus/service-config';
import { AppModule } from './app.module';
import { loadUserServiceConfig } from './config';

// A bad environment variable fails here, naming it, before anything starts.
const config = loadUserServiceConfig(process.env);
bootstrapService(config, AppModule.forRoot(config));
