/**
 * Command-line switches for Debian's Chromium in the e2e tests and the browser benchmarks.
 *
 * Besides no sandbox (root in CI) and no GPU (none here), they turn off Chromium's own browser
 * UI work, which is not the page under test: with each new tab in automation Chromium 156
 * preloads its top-chrome WebUIs (the omnibox popup and its AI-mode variants, ~150 chrome://
 * resources per open, seen in a trace of bench:explorer-open), which took 0.5–0.7 s of the two
 * cores away from the page. A person's browser loaded its UI long before they open a link.
 */
const CHROME_UI_FEATURES = ["PreloadTopChromeWebUI", "WebUIOmniboxPopup", "WebUIOmniboxFullPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFrame"];

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  `--disable-features=${CHROME_UI_FEATURES.join(",")}`,
];
