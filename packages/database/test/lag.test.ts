import { describe, expect, it } from 'vitest';
import { replicaLag, WAL_SLACK_BYTES } from '../src/lag.js';
import { parseLsn } from '../src/lsn.js';

const lsn = (text: string) => parseLsn(text);
const maxLagBytes = 16 * 1024 * 1024;

describe('replicaLag', () => {
  it('an idle primary whose write position skipped the padding at a page end is not lag (seen in CI)', () => {
    // Replay ended 8 bytes before a page boundary; the primary's and the receiver's positions are at
    // the next page. The replay timestamp keeps ageing because nothing more is written.
    const lag = replicaLag({
      primaryLsn: lsn('0/5D86000'),
      receiveLsn: lsn('0/5D86000'),
      replayLsn: lsn('0/5D85FF8'),
      replayAgeSeconds: 7.5,
      maxLagBytes,
    });
    expect(lag).toEqual({ lagBytes: 8, lagSeconds: 0 });
  });

  it('a record received but not replayed is lag, with the replay age', () => {
    const lag = replicaLag({
      primaryLsn: lsn('0/5D86100'),
      receiveLsn: lsn('0/5D86100'),
      replayLsn: lsn('0/5D85FF8'),
      replayAgeSeconds: 7.5,
      maxLagBytes,
    });
    expect(lag).toEqual({ lagBytes: 0x108, lagSeconds: 7.5 });
  });

  it('replay paused with WAL piling up is lag, whatever was received', () => {
    const lag = replicaLag({
      primaryLsn: lsn('0/7000000'),
      receiveLsn: lsn('0/7000000'),
      replayLsn: lsn('0/5000000'),
      replayAgeSeconds: 12,
      maxLagBytes,
    });
    expect(lag.lagBytes).toBe(0x2000000);
    expect(lag.lagSeconds).toBe(12);
  });

  it('right after a restart the receive position is behind replay: caught up when the primary is near', () => {
    const lag = replicaLag({
      primaryLsn: lsn('0/5D86000'),
      receiveLsn: lsn('0/5000000'),
      replayLsn: lsn('0/5D86000'),
      replayAgeSeconds: 63,
      maxLagBytes,
    });
    expect(lag).toEqual({ lagBytes: 0, lagSeconds: 0 });
  });

  it('the slack is smaller than any WAL record plus page header', () => {
    expect(WAL_SLACK_BYTES).toBeLessThanOrEqual(24 + 40 + 8);
    const lag = replicaLag({
      primaryLsn: lsn('0/1000040'),
      receiveLsn: lsn('0/1000040'),
      replayLsn: lsn('0/1000000'),
      replayAgeSeconds: 3,
      maxLagBytes,
    });
    expect(lag.lagSeconds).toBe(3);
  });
});
