import 'reflect-metadata';
import { runService } from '@pager/server-kit';
import { adapterService } from './app/adapter.service-definition';

runService(adapterService);
