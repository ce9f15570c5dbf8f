import { reduceKernel } from './reduce_impl.ts';

export const sumConfig = reduceKernel('Sum', 'axis');
