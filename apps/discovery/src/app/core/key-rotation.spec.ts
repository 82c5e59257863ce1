import { rotationSignatureDue } from './key-rotation';

const DAY = 86_400_000;
const START = Date.parse('2025-10-15T10:30:00Z');

describe(rotationSignatureDue.name, () => {
  it('signs with the previous key from the start of the rotation', () => {
    expect(rotationSignatureDue(START, START, DAY)).toBe(true);
  });

  it('still signs just before one announcement lifetime has passed', () => {
    expect(rotationSignatureDue(START, START + DAY - 1, DAY)).toBe(true);
  });

  it('stops once one announcement lifetime has passed', () => {
    expect(rotationSignatureDue(START, START + DAY, DAY)).toBe(false);
  });
});
