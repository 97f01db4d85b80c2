export { sessionIdArg, tunables } from './args.js';
export {
  type AttachedDevice,
  CommandRunner,
  type CommandRunnerOptions,
  type SessionInfo,
} from './commands.js';
export { SampleStreamer, type StreamerOptions } from './streamer.js';
