// retrogen: search results without U+200B. Material's search plugin segments Chinese with jieba and joins the
// words with zero-width spaces, which its index needs to split them; the results show that same text, so a
// copied result carried invisible characters. They are removed from what the results show (text nodes
// only: no HTML is written), while the index keeps them and Chinese search works as before.
(function () {
  "use strict";
  var ZERO_WIDTH_SPACE = /\u200b/g;
  function clean(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.nodeValue.indexOf("\u200b") >= 0) { node.nodeValue = node.nodeValue.replace(ZERO_WIDTH_SPACE, ""); }
      return;
    }
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (var text = walker.nextNode(); text; text = walker.nextNode()) { clean(text); }
  }
  var results = document.querySelector(".md-search-result__list");
  if (!results) { return; }
  // Material renders results as the reader scrolls, so every node it adds is cleaned as it arrives.
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) { mutation.addedNodes.forEach(clean); });
  }).observe(results, { childList: true, subtree: true });
})();
