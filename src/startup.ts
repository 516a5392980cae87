import { getConfig } from './config';

getConfig();
