/** Sets V8 up as v8-settings.ts says; imported first by bin.ts, so before anything else loads. */
import { setFlagsFromString } from 'node:v8';
import { v8Settings } from './v8-settings.js';

for (const flag of v8Settings(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
