// memlab depends on puppeteer; nothing but registry packages can be downloaded here, and the leak
// checks analyse Node heap snapshots, not pages: never download a browser.
module.exports = { skipDownload: true };
