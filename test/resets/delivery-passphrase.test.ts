import { expect } from "chai";
import {
  newDeliveryPassphrase,
  normalisePassphrase,
  PASSPHRASE_ALPHABET,
  PASSPHRASE_BITS,
  spokenPassphrase,
} from "../../src/resets/delivery-passphrase.js";
import { publicDir } from "../../src/shared/paths.js";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The browser's copy of the rules (plain JavaScript served to /open-message): it must agree with the server's. */
interface BrowserRules {
  ALPHABET: string;
  normalisePassphrase: typeof normalisePassphrase;
}
const browserRules = () => import(pathToFileURL(path.join(publicDir, "js", "passphrase-rules.js")).href) as Promise<BrowserRules>;

const CANONICAL = /^[ACDEFHJKMNPRTUVWXY3479]{4}(-[ACDEFHJKMNPRTUVWXY3479]{4}){3}$/;

describe("delivery passphrase", () => {
  it("is four groups of four from an alphabet of 22 symbols without look-alikes: over 64 bits", () => {
    expect(PASSPHRASE_ALPHABET).to.have.length(22);
    expect(new Set(PASSPHRASE_ALPHABET).size).to.equal(22);
    for (const lookAlike of "0OQ1IL2Z5S6G8B") expect(PASSPHRASE_ALPHABET, lookAlike).to.not.include(lookAlike);
    expect(PASSPHRASE_BITS).to.be.greaterThan(71).and.lessThan(72);
    for (let i = 0; i < 200; i++) expect(newDeliveryPassphrase()).to.match(CANONICAL);
  });

  it("chooses every symbol alike (chi-square over 100,000 symbols) and never repeats a passphrase", () => {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    const draws = 6250;
    for (let i = 0; i < draws; i++) {
      const passphrase = newDeliveryPassphrase();
      seen.add(passphrase);
      for (const c of passphrase.replace(/-/g, "")) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).to.equal(draws);
    expect([...counts.keys()].sort().join("")).to.equal([...PASSPHRASE_ALPHABET].sort().join(""));
    const expected = (draws * 16) / PASSPHRASE_ALPHABET.length;
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 21 degrees of freedom: P(χ² > 52) ≈ 0.0002, so a fair generator fails here once in ~5,000 runs.
    expect(chiSquare).to.be.lessThan(52);
  });

  it("takes what was typed in any case, with spaces, hyphens or dots, to the canonical form", () => {
    expect(normalisePassphrase("acde fhjk mnpr tuvw")).to.deep.equal({ ok: true, passphrase: "ACDE-FHJK-MNPR-TUVW" });
    expect(normalisePassphrase("  ACDE-FHJK-MNPR-TUVW\n")).to.deep.equal({ ok: true, passphrase: "ACDE-FHJK-MNPR-TUVW" });
    expect(normalisePassphrase("acdefhjk.mnpr_x349")).to.deep.equal({ ok: true, passphrase: "ACDE-FHJK-MNPR-X349" });
  });

  it("refuses a look-alike by name instead of guessing, a wrong length, and nothing typed", () => {
    const bad = normalisePassphrase("ACD0-FHJK-MNPR-TUVO");
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.problem).to.include("“0”, “O”").and.include(PASSPHRASE_ALPHABET);
    const short = normalisePassphrase("ACDE-FHJK-MNPR");
    expect(!short.ok && short.problem).to.equal("The passphrase has 16 letters and digits (4 groups of 4); you typed 12.");
    expect(normalisePassphrase(" - ")).to.deep.equal({ ok: false, problem: "Enter the passphrase you were told on the phone." });
  });

  it("applies the same rules in the browser's copy as on the server", async () => {
    const browser = await browserRules();
    expect(browser.ALPHABET).to.equal(PASSPHRASE_ALPHABET);
    const typed = ["acde fhjk mnpr tuvw", "ACDE-FHJK-MNPR-TUVW", "ACD0-FHJK-MNPR-TUVO", "ACDE-FHJK", "", "acdefhjkmnprtuvw7", newDeliveryPassphrase(), "a.c.d.e-f_h j\tk mnprtuvw"];
    for (const input of typed) expect(browser.normalisePassphrase(input), input).to.deep.equal(normalisePassphrase(input));
  });

  it("is spelt for the phone one group a line, in the NATO alphabet", () => {
    expect(spokenPassphrase("ACDE-FH34-XY79-WUVT")).to.deep.equal([
      "Alfa Charlie Delta Echo",
      "Foxtrot Hotel three four",
      "X-ray Yankee seven nine",
      "Whiskey Uniform Victor Tango",
    ]);
  });
});
