/** The `.tfmodel` file format (see format.ts for the layout). */
export { ModelFileError, type ModelFileErrorCode } from './errors.js';
export {
  decodeModel,
  encodeModel,
  FORMAT_VERSION,
  MAGIC,
  type ModelFile,
  readModel,
  writeModel,
  writeModelSync,
} from './format.js';
