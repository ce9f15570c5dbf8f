import { reduceKernel } from './reduce_impl.ts';

export const prodConfig = reduceKernel('Prod', 'axis');
