import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';
export default mergeConfig(shared, { resolve: { alias: [{ find: /^\.\.\/nms$/, replacement: '/tmp/vspeed/nms.ts' }] } });
