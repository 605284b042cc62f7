// The live connection: connects, remembers the last `seq`, reconnects with jittered backoff
// and resumes (or takes a fresh snapshot). Reconnect and resume live here and nowhere else.
// Listeners get each frame as a DOM event named after its type ('ticket.assigned', ...).

export class Live extends EventTarget {
  constructor() {
    super();
    this.lastSeq = null;
    this.delay = 500;
    this.closed = false;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const resume = this.lastSeq === null ? '' : `?last_seq=${this.lastSeq}`;
    this.ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws${resume}`);
    this.ws.onopen = () => { this.delay = 500; this.emit('open', {}); };
    this.ws.onmessage = (e) => this.receive(JSON.parse(e.data));
    this.ws.onclose = () => {
      this.emit('down', {});
      if (this.closed) return;
      const wait = this.delay * (0.5 + Math.random());
      this.delay = Math.min(this.delay * 2, 10000);
      setTimeout(() => this.connect(), wait);
    };
  }

  receive(frame) {
    if (frame.type === 'snapshot') {
      this.lastSeq = frame.seq;
    } else if (typeof frame.seq === 'number' && frame.type !== 'hello') {
      if (this.lastSeq !== null && frame.seq <= this.lastSeq) return; // already applied
      if (this.lastSeq !== null && frame.seq > this.lastSeq + 1) {
        // A gap: ask for what was missed; frames after it arrive again in order.
        this.send({ type: 'resume', last_seq: this.lastSeq });
        return;
      }
      this.lastSeq = frame.seq;
    }
    this.emit(frame.type, frame);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  send(frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  close() {
    this.closed = true;
    this.ws.close();
  }
}
