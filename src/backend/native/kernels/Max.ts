import { reduceKernel } from './reduce_impl.ts';

export const maxConfig = reduceKernel('Max', 'reductionIndices');
