import { reduceKernel } from './reduce_impl.ts';

export const meanConfig = reduceKernel('Mean', 'axis');
