/**
 * A client of the cloud's live stream (`GET /v1/stream`, server-sent events): parses `event:` / `data:`
 * records (WHATWG HTML "server-sent events", the subset the cloud writes) and reconnects with a short
 * backoff when the stream ends, e.g. while the cloud restarts.
 */

export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface LiveStream {
  /** Every event received so far, in order. */
  readonly events: StreamEvent[];
  /** Times the stream was (re)connected. */
  readonly connects: number;
  close(): void;
}

export function openStream(o: {
  /** Base URL of the cloud HTTP API. */
  url: () => string;
  token: string;
  types?: readonly string[];
  onEvent?: (e: StreamEvent) => void;
  onState?: (connected: boolean) => void;
}): LiveStream {
  const events: StreamEvent[] = [];
  let connects = 0;
  let closed = false;
  let abort: AbortController | undefined;

  const dispatch = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // comment (connected, heartbeat)
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let parsed: unknown = data.join('\n');
    try {
      parsed = JSON.parse(parsed as string);
    } catch {
      // keep the text
    }
    const e = { event, data: parsed };
    events.push(e);
    o.onEvent?.(e);
  };

  const loop = async () => {
    let delay = 200;
    while (!closed) {
      abort = new AbortController();
      try {
        const q = new URLSearchParams({ access_token: o.token });
        if (o.types) q.set('types', o.types.join(','));
        const res = await fetch(`${o.url()}/v1/stream?${q}`, { signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
        connects++;
        delay = 200;
        o.onState?.(true);
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true }).replace(/\r\n?/g, '\n');
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            dispatch(buf.slice(0, end));
            buf = buf.slice(end + 2);
          }
        }
      } catch {
        // ended or refused: retry below
      }
      if (closed) break;
      o.onState?.(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  };
  void loop();
  return {
    events,
    get connects() {
      return connects;
    },
    close() {
      closed = true;
      abort?.abort();
    },
  };
}
