// The built-in model families: importing this file registers them and their presets (each family file
// registers itself). A new built-in family adds its import here and its config type to AnyModelConfig.
import type { ViTConfig } from './vit.ts';
import type { SwinConfig } from './swin.ts';
import type { ResNetConfig } from './resnet.ts';
import type { AlterNetConfig } from './alternet.ts';
import './vit.ts';
import './swin.ts';
import './resnet.ts';
import './alternet.ts';
import type { PiTConfig } from './pit.ts';
import type { MixerConfig } from './mixer.ts';
import './pit.ts';
import './mixer.ts';
import type { MobileViTConfig } from './mobilevit.ts';
import './mobilevit.ts';

/** A configuration of one of the built-in families (narrow it by `family`). */
export type AnyModelConfig = ViTConfig | SwinConfig | ResNetConfig | AlterNetConfig | PiTConfig | MixerConfig | MobileViTConfig;
