import { formatBytes, formatDuration, formatPayload, formatTable, oneLine } from './format';

describe('CLI output format', () => {
  it('shows durations in their two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(125_000)).toBe('2m 5s');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5000)).toBe('3d 4h');
  });

  it('flattens and truncates messages to one line', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
    expect(oneLine(null)).toBe('-');
  });

  it('aligns columns without trailing spaces', () => {
    expect(
      formatTable(
        ['ID', 'TYPE', 'ERROR'],
        [
          ['1', 'user.registered', 'boom'],
          ['22', 'x', ''],
        ],
      ),
    ).toEqual(['ID  TYPE             ERROR', '1   user.registered  boom', '22  x']);
  });

  it('pretty-prints JSON payloads, shows text as is and binary as base64', () => {
    expect(formatPayload(Buffer.from('{"a":1}'))).toBe('{\n  "a": 1\n}');
    expect(formatPayload(Buffer.from('{"a":'))).toBe('{"a":');
    expect(formatPayload(Buffer.from([0xff, 0xfe]))).toBe('(binary, 2 bytes, base64) //4=');
  });

  it('shows key and header bytes as text when UTF-8, else as marked base64', () => {
    expect(formatBytes(Buffer.from('clé'))).toBe('clé');
    expect(formatBytes(Buffer.from([0xff, 0xfe, 0x80]))).toBe('(binary, 3 bytes, base64) //6A');
  });
});
