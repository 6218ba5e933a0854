#!/usr/bin/env node
// `rsv` (package.json bin): runs bin/rsv.ts with tsx, as the project's other scripts.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./rsv.ts');
