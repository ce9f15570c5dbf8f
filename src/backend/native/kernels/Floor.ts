import { unaryKernel } from './unary_impl.ts';

export const floorConfig = unaryKernel('Floor');
