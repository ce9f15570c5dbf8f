import { reduceKernel } from './reduce_impl.ts';

export const minConfig = reduceKernel('Min', 'axis');
