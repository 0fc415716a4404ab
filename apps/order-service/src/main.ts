import { bootstrapService } from '@nestbus/service-config';
import { AppModule } from './app.module';

// A bad environment variable fails here, with every bad one named, before anything starts.
bootstrapService(AppModule.forEnvironment());
