// Self-written accessibility checks, evaluated in the page; returns a list of problems.
// Labels: every visible input, select and textarea has a label (label[for] or a wrapping
// label, aria-label, or aria-labelledby). Headings: exactly one h1, no level skipped going
// down. Images: every img has alt; an svg with role="img" has a name. Contrast: every element
// with its own visible text has WCAG 2 contrast >= 4.5:1 (3:1 for large text: 24px, or 18.66px
// bold) against the nearest non-transparent background, composited down to white.
() => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    else if (el.getAttribute('name')) s += `[name="${el.getAttribute('name')}"]`;
    else if (el.className && typeof el.className === 'string')
      s += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 1 && rect.height > 1 && el.getClientRects().length > 0;
  };

  // Labels.
  const skipTypes = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.tagName === 'INPUT' && skipTypes.has(el.type)) continue;
    if (!visible(el)) continue;
    const byLabel = [...el.labels].some((l) => l.textContent.trim());
    const byAria = (el.getAttribute('aria-label') || '').trim();
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || '').trim());
    if (!byLabel && !byAria && !byIds) problems.push(`no label: ${describe(el)}`);
  }

  // Headings.
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]')];
  const level = (h) => Number(h.getAttribute('aria-level') || h.tagName.slice(1));
  const h1s = headings.filter((h) => level(h) === 1).length;
  if (h1s !== 1) problems.push(`expected exactly one h1, found ${h1s}`);
  let previous = 0;
  for (const h of headings) {
    const lv = level(h);
    if (lv > previous + 1) problems.push(`heading skips from h${previous} to h${lv}: ${describe(h)}`);
    previous = lv;
  }

  // Images.
  for (const img of document.querySelectorAll('img, input[type="image"]')) {
    if (!img.hasAttribute('alt')) problems.push(`no alt: ${describe(img)} src=${img.src}`);
  }
  for (const svg of document.querySelectorAll('svg[role="img"]')) {
    const named = svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby') ||
      svg.querySelector(':scope > title');
    if (!named) problems.push(`svg role=img has no name: ${describe(svg)}`);
  }

  // Contrast.
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;  // e.g. color(srgb ...) or oklch(): not checked
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;  // gradient or image: not checked
      const bg = parse(style.backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    return layers.reverse().reduce((acc, layer) => over(layer, acc), { r: 255, g: 255, b: 255, a: 1 });
  };
  const luminance = ({ r, g, b }) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg, script, style, noscript, template') || el.disabled) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !visible(el)) continue;
    const style = getComputedStyle(el);
    if (Number(style.opacity) === 0 || style.clipPath.includes('inset(50%') || style.clip === 'rect(0px, 0px, 0px, 0px)') continue;
    const bg = background(el);
    const fg = parse(style.color);
    if (!bg || !fg) continue;
    const [hi, lo] = [luminance(over(fg, bg)), luminance(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) {
      problems.push(`contrast ${ratio.toFixed(2)}:1 < ${needed}:1 (${style.color} on ` +
        `rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})): ${describe(el)}`);
    }
  }
  return problems;
}
