// The one way the toolkit imports TensorFlow.js.
// `@tensorflow/tfjs-core`'s Node bundle registers neither gradients nor chained ops;
// the union package `@tensorflow/tfjs` registers both onto the same tfjs-core instance.
// Import this module, never tfjs-core directly, so gradients always exist.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import './gradients/index.ts';
export * as tf from '@tensorflow/tfjs-core';
