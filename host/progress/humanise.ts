// Byte counts and rates as git prints them in progress lines (strbuf.c:
// strbuf_humanise): binary units, two decimals, rounding as git rounds.

export function humaniseBytes(bytes: number, rate = false): string {
  const s = rate ? '/s' : '';
  if (bytes > 2 ** 30) {
    const whole = Math.floor(bytes / 2 ** 30);
    const frac = Math.floor((bytes % 2 ** 30) / 10737419);
    return `${whole}.${String(frac).padStart(2, '0')} GiB${s}`;
  }
  if (bytes > 2 ** 20) {
    const x = bytes + 5243; // rounds to the nearest hundredth
    return `${Math.floor(x / 2 ** 20)}.${String(Math.floor(((x % 2 ** 20) * 100) / 2 ** 20)).padStart(2, '0')} MiB${s}`;
  }
  if (bytes > 2 ** 10) {
    const x = bytes + 5;
    return `${Math.floor(x / 1024)}.${String(Math.floor(((x % 1024) * 100) / 1024)).padStart(2, '0')} KiB${s}`;
  }
  return `${Math.floor(bytes)} ${bytes === 1 ? 'byte' : 'bytes'}${s}`;
}
