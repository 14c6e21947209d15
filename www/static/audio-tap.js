// The speech demo's tap on Web Audio (src/demos/speech/capture.rs). An AudioWorklet processor
// must be a JavaScript module, so this is the lab's one: it copies the mono audio it is given
// into blocks of 1,024 samples (64 ms at 16 kHz) and posts each to the page, where Rust turns
// them into log-mel frames. It outputs nothing.
class LabTap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(1024);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const n = Math.min(channel.length - offset, this.block.length - this.filled);
        this.block.set(channel.subarray(offset, offset + n), this.filled);
        this.filled += n;
        offset += n;
        if (this.filled === this.block.length) {
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(1024);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("lab-tap", LabTap);
