import 'reflect-metadata';
import { runService } from '@pager/server-kit';
import { discoveryService } from './app/discovery.service-definition';

runService(discoveryService);
