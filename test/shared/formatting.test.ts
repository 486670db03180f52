import { expect } from "chai";
import { formatInZone } from "../../src/shared/formatting.js";

describe("formatInZone: a moment on a zone's clock, with the zone named", () => {
  const summer = new Date("2026-07-01T12:34:56Z");

  it("writes the zone's clock and its abbreviation or offset", () => {
    expect(formatInZone(summer, "Europe/London")).to.equal("2026-07-01 13:34 BST");
    expect(formatInZone(new Date("2026-01-15T12:34:00Z"), "Europe/London")).to.equal("2026-01-15 12:34 GMT");
    expect(formatInZone(summer, "Asia/Kolkata")).to.equal("2026-07-01 18:04 UTC+5:30");
    expect(formatInZone(summer, "America/New_York")).to.equal("2026-07-01 08:34 EDT");
  });

  it("the same minute in another zone is that zone's, though the first was remembered", () => {
    expect(formatInZone(summer, "UTC")).to.equal("2026-07-01 12:34 UTC");
    expect(formatInZone(summer, "Europe/London")).to.equal("2026-07-01 13:34 BST");
  });

  it("seconds within a minute write that minute; the next minute its own", () => {
    expect(formatInZone(new Date("2026-07-01T12:34:00.000Z"), "UTC")).to.equal("2026-07-01 12:34 UTC");
    expect(formatInZone(new Date("2026-07-01T12:34:59.999Z"), "UTC")).to.equal("2026-07-01 12:34 UTC");
    expect(formatInZone(new Date("2026-07-01T12:35:00.000Z"), "UTC")).to.equal("2026-07-01 12:35 UTC");
  });

  it("the minute a clock changes: 01:00 UTC on 25 Oct 2026 is 02:00 BST a minute before and 01:00 GMT at it", () => {
    expect(formatInZone(new Date("2026-10-25T00:59:00Z"), "Europe/London")).to.equal("2026-10-25 01:59 BST");
    expect(formatInZone(new Date("2026-10-25T01:00:00Z"), "Europe/London")).to.equal("2026-10-25 01:00 GMT");
  });

  it("stays right past the number of minutes it remembers", () => {
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 25_000; i++) formatInZone(new Date(start + i * 60_000), "UTC");
    expect(formatInZone(new Date(start), "UTC")).to.equal("2026-01-01 00:00 UTC");
    expect(formatInZone(new Date(start + 24_999 * 60_000), "UTC")).to.equal("2026-01-18 08:39 UTC");
  });

  it("an invalid date is an error, not a remembered string", () => {
    expect(() => formatInZone(new Date(NaN), "UTC")).to.throw(RangeError);
    expect(() => formatInZone(new Date(NaN), "UTC")).to.throw(RangeError);
  });
});
