export { sessionIdArg, tunables } from './args.js';
export { type AttachedDevice, CommandRunner, type CommandRunnerOptions } from './commands.js';
export { type DataSource, type LabelledSample, type SyntheticOptions, syntheticSource } from './source.js';
export { SampleStreamer, type StreamerOptions } from './streamer.js';
