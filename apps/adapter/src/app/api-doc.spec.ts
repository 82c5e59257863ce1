import { describeApiDocumentation } from '@pager/testing/jest';
import { adapterService } from './adapter.service-definition';

describeApiDocumentation('docs/api.md, federation adapter', adapterService, 'api:adapter');
