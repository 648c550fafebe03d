// Bytes as UTF-8 text, refused when they are not UTF-8 rather than read with U+FFFD in their place (which would
// change a message without a word). One pass: validating first and decoding after read every byte twice.

// `ignoreBOM`: a byte order mark stays in the text, as Buffer#toString leaves it (the caller decides).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text, or null when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}
