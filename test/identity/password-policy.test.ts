import { expect } from "chai";
import { hashPassword } from "../../src/identity/password-hashing.js";
import { passwordProblems, passwordRequirements } from "../../src/identity/password-policy.js";

const owner = { username: "carol", displayName: "Carol Jones", email: "carol.jones@acme.example" };
const classic = (password: string, extra: object = {}) => passwordProblems("classic", password, { ...owner, ...extra });
const nist = (password: string) => passwordProblems("nist", password, owner);

describe("password policy: classic", () => {
  it("accepts a strong password of exactly 8 characters and refuses one of 7", async () => {
    expect(await classic("Xk9#mP2q")).to.deep.equal([]);
    expect(await classic("Xk9#mP2")).to.include("Password must be at least 8 characters long.");
  });

  it("accepts 128 characters and refuses 129, never truncating", async () => {
    const base = "Vq7!wR2#kZ9$pL4&".repeat(8);
    expect([...base].length).to.equal(128);
    expect(await classic(base)).to.deep.equal([]);
    expect(await classic(base + "x")).to.deep.equal(["Password must be at most 128 characters long."]);
  });

  it("counts characters after Unicode normalisation", async () => {
    // "é" as e + combining accent is one character once normalised (NFC).
    const decomposed = "Ze\u0301bra#9Qk";
    expect(await classic(decomposed)).to.deep.equal([]);
    expect(await classic("Zé#9Qk1")).to.include("Password must be at least 8 characters long.");
  });

  for (const [rule, password, message] of [
    ["an upper-case letter", "xk9#mp2qv", "Password must contain an upper-case letter."],
    ["a lower-case letter", "XK9#MP2QV", "Password must contain a lower-case letter."],
    ["a digit", "Xkq#mPzqv", "Password must contain a digit."],
    ["a non-alphanumeric character", "Xk9qmP2qv", "Password must contain a character that is not a letter or digit."],
  ] as const) {
    it(`names the missing ${rule}`, async () => {
      expect(await classic(password)).to.include(message);
    });
  }

  it("refuses a common password and a guessable one, and names why", async () => {
    expect(await classic("password")).to.include("Password is on the list of commonly used passwords.");
    expect(await classic("Summer2024!")).to.include("Password is too easy to guess: avoid words, names, dates, keyboard patterns and repeats.");
    expect(await classic("Passw0rd!")).to.include("Password is too easy to guess: avoid words, names, dates, keyboard patterns and repeats.");
  });

  it("refuses a password containing the username, a name or the email name", async () => {
    const message = "Password must not contain your username, name or email name.";
    expect(await classic("xCAROL#92k")).to.include(message);
    expect(await classic("Jones#92kQ")).to.include(message);
    expect(await classic("9#carol.jonesQ")).to.include(message);
  });

  it("refuses any of the last 7 passwords and accepts the 8th-last", async () => {
    const history = await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`Old#Pass${i}word!Qz`)));
    const newestFirst = history.slice().reverse(); // Old#Pass7 … Old#Pass0
    const previousHashes = newestFirst.slice(0, 7); // what the store hands over: the last 7
    const reused = "Password must not be one of your previous 7 passwords.";
    expect(await classic("Old#Pass7word!Qz", { previousHashes })).to.include(reused);
    expect(await classic("Old#Pass1word!Qz", { previousHashes })).to.include(reused);
    expect(await classic("Old#Pass0word!Qz", { previousHashes })).to.deep.equal([]);
  });

  it("lists its requirements for the form", () => {
    const lines = passwordRequirements("classic").join(" ");
    expect(lines).to.include("At least 8").and.include("upper-case").and.include("previous 7");
  });
});

describe("password policy: nist", () => {
  it("needs 15 characters and no composition", async () => {
    expect(await nist("plum orbit cactus")).to.deep.equal([]);
    expect(await nist("plumorbitcactu")).to.include("Password must be at least 15 characters long.");
  });

  it("uses the same blocklist and identity checks", async () => {
    expect(await nist("carol-plum-orbit-cactus")).to.include("Password must not contain your username, name or email name.");
    expect(await nist("aaaaaaaaaaaaaaaa")).to.include("Password is too easy to guess: avoid words, names, dates, keyboard patterns and repeats.");
  });

  it("has no history rule and lists 15 characters", () => {
    expect(passwordRequirements("nist").join(" ")).to.include("At least 15").and.not.include("previous");
  });
});
