
() => {
  if (!window.matchMedia("(max-width: 768px)").matches) return;
  const fold = (tries) => {
    const label = document.querySelector("#filters-box .label-wrap");
    if (label) { if (label.classList.contains("open")) label.click(); }
    else if (tries > 0) setTimeout(() => fold(tries - 1), 100);
  };
  fold(100);
}
