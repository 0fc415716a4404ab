import { main } from '../lib/scenario';
import { CeilingDriver } from './ceiling.driver';

main(() => new CeilingDriver('business-only'));
