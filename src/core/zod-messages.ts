import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * English messages for the errors our schemas do not word themselves. The schemas use zod's tree-shakable
 * API (`zod/mini`), which ships no locale; the classic `zod` API would keep all of zod, every locale included,
 * in the Lambda bundles. Import this module for its effect, once, before parsing.
 */
config(en());
