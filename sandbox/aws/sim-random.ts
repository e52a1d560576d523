/**
 * mulberry32: small, fast and seedable. Fault injection and ids must replay the
 * same way on every run, or a flaky test cannot be reproduced.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
}

const HEX = '0123456789abcdef';
const IAM_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Real-looking, deterministic identifiers in each service's own format. */
export class IdGenerator {
  private readonly prng: Prng;

  constructor(seed: number) {
    // Separate stream from the throttling PRNG: changing the throttle rate must not renumber resources.
    this.prng = new Prng(seed ^ 0x5eed1d5);
  }

  private pick(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.prng.int(alphabet.length)];
    return out;
  }

  hex(length: number): string {
    return this.pick(HEX, length);
  }

  /** `i-0123456789abcdef0`, `sg-…`, `eni-…`: a prefix and 17 hex digits, as EC2 issues them today. */
  ec2(prefix: string): string {
    return `${prefix}-${this.hex(17)}`;
  }

  /**
   * IAM unique ids and access keys: a four-character type prefix (AIDA user, AROA role, AIPA
   * instance profile, ANPA managed policy, AKIA/ASIA access keys) and base32, 21 characters for
   * unique ids (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes).
   */
  iam(prefix: string, length = 17): string {
    return prefix + this.pick(IAM_ID_ALPHABET, length);
  }

  secret(length = 40): string {
    return this.pick(SECRET_ALPHABET, length);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
