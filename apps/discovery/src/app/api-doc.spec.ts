import { describeApiDocumentation } from '@pager/testing/jest';
import { discoveryService } from './discovery.service-definition';

describeApiDocumentation('docs/api.md, discovery daemon', discoveryService, 'api:discovery');
