// Server-Sent Events read from a fetch() body: EventSource cannot send the Authorization header, fetch can.

// One message block ("event: x\ndata: {...}") -> [name, data text], or null for a comment-only block.
export function parseBlock(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue; // a comment: the server's keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? [name, data.join("\n")] : null;
}

// Call handle(name, dataText) for every message of the stream, in order, until it ends (or its fetch is aborted).
export async function readEvents(body, handle) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r/g, ""); // JSON data never holds a raw CR; lines may end in CRLF
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const message = parseBlock(buf.slice(0, cut));
      buf = buf.slice(cut + 2);
      if (message) handle(...message);
    }
  }
}
