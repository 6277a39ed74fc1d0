"""What the learner sees: every control and every training player, timed in JupyterLab in headless Chromium.

    python -m tools.bench --only browser                      # every notebook (several minutes)
    python -m tools.bench --only browser --notebooks 01 07    # a few (BROWSER_NOTEBOOKS="01 07" works too)

Run only on demand (``make bench ONLY=browser``): it starts a JupyterLab server on a throw-away
copy of the notebooks, runs each notebook in the browser and then

* moves every **control** of every interactive panel (``.course-app-panel``) and training player
  (``.course-training-player``): a slider by one keyboard step, a dropdown to its next option, a
  checkbox or toggle flipped. The time from the key press (or selection) to the repainted figure
  (the new ``<img>`` decoded and painted, measured inside the page) is one *key→repaint* time; a
  control that changes only the status line is timed to that change. A control that changes
  neither is reported as ``changed: False``; a disabled control is reported with the reason its
  tooltip gives. Each move that repaints the figure is also split into its legs, from the page's
  own websocket traffic: key → widget update sent to the kernel → new figure back in the page
  (the kernel's work and both transports) → decoded and painted;
* presses **play** on every player and records, inside the page, when each new frame is painted
  over a few seconds: frames per second and the spacing between frames; then pauses and records
  how long the frames took to stop (``pause_ms``), and presses *step* (exactly one update).

The same functions serve ``tests/test_browser.py``, which asserts on them. Times are wall-clock in
a real browser: on a shared machine they include whatever else runs, so the table says the load.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SECTION = "browser: key→repaint per control, frames per second per player (JupyterLab + Chromium)"
ON_DEMAND = True   # the runner skips this module unless it is asked for by name
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
RUN_ALL_TIMEOUT = 300   # s for "run all cells" in the browser (notebooks take <= 60 s alone)
PANELS = ".course-app-panel, .course-training-player"

# Installed in the page once: a MutationObserver that stamps every change of a course figure's
# ``src`` (after the new image is decoded, at the next animation frame: when it is on screen) and
# of a status line, with ``performance.now()``. Each entry: {kind, panel, t}.
_OBSERVER_JS = """() => {
  if (window.__course && window.__course.observing) return;
  window.__course = window.__course || {marks: []};
  window.__course.observing = true;
  const marks = window.__course.marks;
  const panelIndex = el => [...document.querySelectorAll(
      '.jp-NotebookPanel:not(.lm-mod-hidden) :is(.course-app-panel, .course-training-player)')]
      .indexOf(el.closest('.course-app-panel, .course-training-player'));
  new MutationObserver(records => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el) continue;
      if (r.type === 'attributes' && el.tagName === 'IMG' && el.closest('.course-image, img.course-image')) {
        const panel = panelIndex(el);
        el.decode().catch(() => null).then(() => requestAnimationFrame(
            () => marks.push({kind: 'image', panel, t: performance.now()})));
      } else if (el.closest('.course-status')) {
        marks.push({kind: 'status', panel: panelIndex(el), t: performance.now()});
      }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                            attributes: true, attributeFilter: ['src']});
}"""


# Installed before JupyterLab loads (``add_init_script``): wraps the page's WebSocket so that the
# kernel traffic of a move can be split into its legs. It stamps ``performance.now()`` on every
# widget ``update`` the page sends to the kernel (``{kind: 'sent'}``) and on the arrival of every
# widget ``update`` from the kernel that carries binary buffers (a new figure, ``{kind: 'arrived'}``),
# in the same ``window.__course.marks`` list. The messages are JupyterLab's kernel websocket
# protocol (v1: binary frames whose JSON parts the page decodes; or plain JSON text).
_WEBSOCKET_JS = """(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  const stamp = kind => {
    window.__course = window.__course || {marks: []};
    window.__course.marks.push({kind, panel: -1, t: performance.now()});
  };
  const text = data => typeof data === 'string' ? data.slice(0, 4000)
      : decoder.decode(new Uint8Array(data, 0, Math.min(data.byteLength, 4000)));
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', event => {
        if (typeof event.data !== 'string' && !(event.data instanceof ArrayBuffer)) return;
        const head = text(event.data);
        if (/"msg_type":\s*"comm_msg"/.test(head) && /"method":\s*"update"/.test(head)
            && /"buffer_paths":\s*\[\s*\[/.test(head)) stamp('arrived');
      });
    }
    send(data) {
      if (typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
        const head = text(ArrayBuffer.isView(data) ? data.buffer : data);
        if (/"msg_type":\s*"comm_msg"/.test(head) && /"method":\s*"update"/.test(head)) stamp('sent');
      }
      return super.send(data);
    }
  }
  window.WebSocket = Watched;
})();"""


# ----------------------------------------------------------------------------- server and browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


@contextlib.contextmanager
def lab_server(root: Path, notebooks: list[Path], code: Path = ROOT) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on copies of ``notebooks`` in the empty folder ``root``, its kernels
    importing ``helpers`` from the checkout ``code`` (another one: an A/B comparison); yields
    (base_url, token)."""
    for nb in notebooks:
        shutil.copy(nb, root / nb.name)
    port, token = _free_port(), "course-browser-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               IPYTHONDIR=str(root / ".ipython"), OMP_NUM_THREADS="1", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={root / '.ws'}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    # Render every cell (no virtual scrolling, so every prompt is in the page) and ask for no news.
    settings = root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for ext, name, value in [("notebook-extension", "tracker", {"windowingMode": "none"}),
                             ("apputils-extension", "notification", {"fetchNews": "false",
                                                                     "checkForUpdates": False})]:
        (settings / ext).mkdir(parents=True, exist_ok=True)
        (settings / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                _get_json(f"{base}/api/status?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("JupyterLab did not start: " + (root / "server.log").read_text()[-2000:])
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by playwright (never a downloaded browser); yields the Browser."""
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        raise RuntimeError("Debian's chromium is not installed (`apt-get install chromium`)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shutdown_kernels(base: str, token: str) -> None:
    for session in _get_json(f"{base}/api/sessions?token={token}"):
        req = urllib.request.Request(f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(req, timeout=10).close()


def _kernel_state(base: str, token: str, name: str) -> str | None:
    sessions = [s for s in _get_json(f"{base}/api/sessions?token={token}") if s.get("path", "").endswith(name)]
    return sessions[0].get("kernel", {}).get("execution_state") if sessions else None


def wait_kernel_idle(base: str, token: str, name: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _kernel_state(base, token, name) == "idle":
            return
        time.sleep(0.5)
    raise AssertionError(f"the kernel of {name} was not idle within {timeout:.0f} s")


def menu_command(page, command: str) -> None:
    """Run a JupyterLab command through its main-menu entry (what a learner clicks)."""
    menu = {"editmenu": "Edit", "runmenu": "Run", "kernelmenu": "Kernel"}[command.split(":")[0]]
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(f"li[data-command='{command}']").first.click()
    page.keyboard.press("Escape")


def open_notebook(page, base: str, token: str, name: str) -> None:
    """Open ``name`` in a fresh workspace and wait for its kernel."""
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}", timeout=60_000)
    page.locator(CURRENT).locator(".jp-Notebook").first.wait_for(state="visible", timeout=60_000)
    wait_kernel_idle(base, token, name, 90)


def run_all(page, base: str, token: str, name: str) -> bool:
    """Clear and run all cells; wait for the end. Returns True if the kernel had to be reconnected.

    Now and then JupyterLab keeps the execute requests of a run-all in its client-side queue: every
    cell shows [*] while the kernel sits idle and receives nothing. JupyterLab flushes that queue
    when its kernel connection comes up, so the fix a learner would use works: Kernel > Reconnect
    to Kernel. We do that once, only when no cell has finished and the kernel has been idle for
    20 s. A kernel that is busy is never touched.
    """
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\bIdle\b")).first.wait_for(state="visible",
                                                                                       timeout=90_000)
    for command in ("editmenu:clear-all", "runmenu:run-all"):
        menu_command(page, command)
    deadline = time.time() + RUN_ALL_TIMEOUT
    retried, idle_since = False, None
    time.sleep(1.0)
    stderr = page.locator(CURRENT).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    while time.time() < deadline:
        prompts = page.evaluate("""() =>
            // collapsed (source-hidden) cells show no prompt; every other one must read [n]:
            [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]
                .map(p => p.textContent.trim()).filter(t => t !== '')""")
        done = [bool(re.fullmatch(r"\[\d+\]:", t)) for t in prompts]
        if prompts and all(done):
            break
        stalled = not any(done) and _kernel_state(base, token, name) == "idle"
        idle_since = (idle_since or time.time()) if stalled else None
        if stalled and not retried and time.time() - idle_since > 20:
            print(f"\n{name}: every cell queued [*] while the kernel idled for 20 s; reconnecting to the kernel")
            menu_command(page, "kernelmenu:reconnect-to-kernel")
            retried, idle_since = True, None
        tracebacks = [t for t in stderr.all_inner_texts() if "Traceback" in t or "Error" in t]
        assert not tracebacks, f"{name}: an error was shown while running all cells:\n{tracebacks[0][-1500:]}"
        time.sleep(1.0)
    else:
        raise AssertionError(f"run-all of {name} did not finish within {RUN_ALL_TIMEOUT} s; prompts: {prompts}")
    wait_kernel_idle(base, token, name, 60)
    errors = page.locator(CURRENT).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                                           ".jp-RenderedText, .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]]
    assert not tracebacks, f"{name}: an error was shown while running all cells:\n{tracebacks[0][:1500]}"
    return retried


# ----------------------------------------------------------------------------- controls
# A control of a course panel: the ipywidgets 8 DOM classes, and how a learner moves it.
_CONTROL = ".widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-button"


def _marks_since(page, panel: int, t0: float) -> list[dict]:
    return page.evaluate("([p, t0]) => window.__course.marks.filter(m => m.panel === p && m.t > t0)", [panel, t0])


def _legs(page, t0: float, painted: float) -> list[float] | None:
    """A move's legs from its key press at ``t0`` to its figure painted at ``painted`` (page ms):
    ``[sent, arrived, painted]``, each counted from ``t0``: the widget update leaving for the kernel,
    the new figure arriving from it (kernel work + both transports), the figure decoded and painted.
    None when the page's websocket was not watched (:data:`_WEBSOCKET_JS`)."""
    marks = page.evaluate("([t0, t1]) => window.__course.marks.filter(m => m.panel === -1 && m.t > t0 && m.t <= t1)",
                          [t0, painted])
    sent = [m["t"] for m in marks if m["kind"] == "sent"]
    arrived = [m["t"] for m in marks if m["kind"] == "arrived"]
    if not sent or not arrived:
        return None
    return [round(sent[0] - t0, 1), round(arrived[-1] - t0, 1), round(painted - t0, 1)]


def _now(page) -> float:
    return page.evaluate("() => performance.now()")


def _control_info(control) -> dict:
    """Label, kind, whether it is disabled and the reason it gives (its tooltip)."""
    return control.evaluate("""el => {
        const kind = el.matches('.widget-slider') ? 'slider' : el.matches('.widget-dropdown') ? 'dropdown'
                   : el.matches('.widget-checkbox') ? 'checkbox' : 'toggle';
        const label = (el.querySelector('.widget-label') || {}).textContent || el.textContent || '';
        const input = el.querySelector('select, input, button, .noUi-target');
        const disabled = !!(el.querySelector('[disabled]') || (input && input.disabled)
                            || el.classList.contains('mod-disabled'));
        const titled = [el, ...el.querySelectorAll('[title]')].map(e => e.getAttribute('title')).filter(Boolean);
        return {kind, label: label.trim(), disabled, reason: titled.join(' ').trim()};
    }""")


def _move(page, control, kind: str) -> float:
    """Move ``control`` once the way a learner would; return the page time just before the move."""
    if kind == "slider":
        readout = control.locator(".widget-readout").first
        handle = control.locator(".noUi-handle").first
        for key in ("ArrowRight", "ArrowLeft"):   # at the end of its range a slider goes back
            old = readout.inner_text()
            handle.focus()
            t0 = _now(page)
            page.keyboard.press(key)
            try:
                page.wait_for_function("([el, v]) => el.textContent !== v", arg=[readout.element_handle(), old],
                                       timeout=2_000, polling="raf")
                return t0
            except Exception:
                continue
        raise AssertionError(f"the slider {control.inner_text()!r} did not move with the arrow keys")
    if kind == "dropdown":
        select = control.locator("select").first
        options = select.evaluate("s => [s.options.length, s.selectedIndex]")
        t0 = _now(page)
        select.select_option(index=(options[1] + 1) % options[0])
        return t0
    box = control.locator("input, button").first
    t0 = _now(page)
    box.click()
    return t0


def measure_controls(page, moves: int = 3, settle_s: float = 5.0) -> list[dict]:
    """Move every control of every course panel ``moves`` times; one dict per control.

    Each dict: ``panel`` (index in the page), ``player`` (bool), ``label``, ``kind``, ``disabled``,
    ``reason`` (tooltip), ``changed`` (every move changed the figure or the status line),
    ``what`` ("image" or "status", what the timing waited for), ``ms`` (key→repaint per move) and,
    for the moves that repainted the figure, ``legs``: ``[sent, arrived, painted]`` ms after the key
    (:func:`_legs`; None where the websocket was not watched).
    """
    page.evaluate(_OBSERVER_JS)
    panels = page.locator(CURRENT).locator(PANELS)
    results = []
    for p in range(panels.count()):
        panel = panels.nth(p)
        panel.scroll_into_view_if_needed()
        is_player = "course-training-player" in (panel.get_attribute("class") or "")
        controls = panel.locator(_CONTROL)
        for c in range(controls.count()):
            control = controls.nth(c)
            info = _control_info(control)
            row = dict(panel=p, player=is_player, **info, changed=None, what=None, ms=[])
            results.append(row)
            if info["disabled"]:
                continue
            control.scroll_into_view_if_needed()
            changed = True
            for _ in range(moves if info["kind"] == "slider" else 1):
                t0 = _move(page, control, info["kind"])
                start = time.time()
                while True:
                    marks = _marks_since(page, p, t0)
                    waited = time.time() - start
                    # the figure; for a control that changes only the text, the status line after 1 s
                    if any(m["kind"] == "image" for m in marks) or (marks and waited > 1.0) or waited > settle_s:
                        break
                    time.sleep(0.01)
                images = [m["t"] for m in marks if m["kind"] == "image"]
                texts = [m["t"] for m in marks if m["kind"] == "status"]
                if not images and not texts:
                    changed = False
                    continue
                row["what"] = "image" if images else "status"
                row["ms"].append(round(min(images or texts) - t0, 1))
                if images:
                    row.setdefault("legs", []).append(_legs(page, t0, min(images)))
                time.sleep(0.15)   # let the kernel finish this move before the next one
            row["changed"] = changed
    return results


# ----------------------------------------------------------------------------- players
def _player_step(status) -> int:
    match = re.search(r"step (\d+):", status.inner_text())
    assert match, f"the player's status has no step counter: {status.inner_text()!r}"
    return int(match.group(1))


def _settled_step(status, quiet: float = 1.5, timeout: float = 30.0) -> int:
    """The step counter once it has stopped moving for ``quiet`` seconds."""
    last, since, deadline = _player_step(status), time.time(), time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.1)
        now = _player_step(status)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return now
    raise AssertionError(f"the player's step counter kept moving for {timeout:.0f} s after pause")


def measure_players(page, seconds: float = 3.0) -> list[dict]:
    """Play every training player for ``seconds``, pause, step; one dict per player.

    Each dict: ``panel`` (index among the page's panels), ``steps`` (updates while playing),
    ``restarted``, ``frames`` (painted while playing), ``fps``, ``spacing_ms`` (median and max
    time between painted frames), ``pause_ms`` (pause click to the last frame; 0 with
    ``stopped_at_limit`` when the run reached its step limit while playing), ``stepped``
    (updates made by one press of *step*; 0 with ``step_disabled``, its tooltip, when the run
    is at its step limit) and ``image_changed``.
    """
    page.evaluate(_OBSERVER_JS)
    panels = page.locator(CURRENT).locator(PANELS)
    results = []
    for p in range(panels.count()):
        player = panels.nth(p)
        if "course-training-player" not in (player.get_attribute("class") or ""):
            continue
        player.scroll_into_view_if_needed()
        status, image = player.locator(".course-status").first, player.locator(".course-image").first
        play = player.locator(".widget-play button").first
        before, old_src = _settled_step(status, quiet=1.0), image.get_attribute("src")
        t0 = _now(page)
        play.click()
        page.wait_for_function("([el, s]) => { const m = el.innerText.match(/step (\\d+):/); return m && +m[1] !== s; }",
                               arg=[status.element_handle(), before], timeout=15_000)
        time.sleep(seconds)
        t_pause = _now(page)
        limited = "-step limit" in status.inner_text()   # the run stopped by itself: nothing to pause
        if not limited:
            play.click()
        paused = _settled_step(status, quiet=1.0)
        frames = [m["t"] for m in _marks_since(page, p, t0) if m["kind"] == "image" and m["t"] <= t_pause]
        after_pause = [m["t"] for m in _marks_since(page, p, t_pause)]
        gaps = [b - a for a, b in zip(frames, frames[1:])]
        span = (frames[-1] - frames[0]) / 1e3 if len(frames) > 1 else float("nan")
        row = dict(panel=p, steps=paused - before if paused > before else paused, restarted=paused < before,
                   frames=len(frames), fps=round((len(frames) - 1) / span, 1) if len(frames) > 1 else 0.0,
                   spacing_ms=[round(statistics.median(gaps)), round(max(gaps))] if gaps else None,
                   pause_ms=round(max(after_pause) - t_pause) if after_pause else 0,
                   image_changed=image.get_attribute("src") != old_src, stopped_at_limit=limited)
        step = player.get_by_role("button", name="step", exact=True)
        if step.is_disabled():   # at the step limit: greyed out, with the reason as its tooltip
            row["stepped"], row["step_disabled"] = 0, step.get_attribute("title") or ""
        else:
            step.click()
            page.wait_for_function("([el, s]) => { const m = el.innerText.match(/step (\\d+):/); return m && +m[1] !== s; }",
                                   arg=[status.element_handle(), paused], timeout=15_000)
            row["stepped"] = _settled_step(status, quiet=1.0) - paused
        results.append(row)
    return results


def check_notebook(browser, base: str, token: str, name: str, screenshot: Path | None = None,
                   moves: int = 3, seconds: float = 3.0) -> dict:
    """Open, run all, measure every control and every player of notebook ``name``; the results."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(_WEBSOCKET_JS)
    page = context.new_page()
    ok = False
    try:
        open_notebook(page, base, token, name)
        retried = run_all(page, base, token, name)
        result = {"controls": measure_controls(page, moves), "players": measure_players(page, seconds),
                  "statuses": page.locator(CURRENT).locator(".course-status").all_inner_texts()}
        if retried:
            result["kernel_reconnected"] = True
        ok = True
        return result
    finally:
        try:
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                target = screenshot if ok else screenshot.with_name("FAILED-" + screenshot.name)
                page.screenshot(path=str(target), full_page=False)
        finally:
            context.close()
            shutdown_kernels(base, token)


# ----------------------------------------------------------------------------- the kernel's share
def kernel_ms(notebook: str) -> float | None:
    """Median kernel time of one slider move (``update`` + frame render, ``Panel.last_latency_ms``)
    over every slider of the notebook's apps (``helpers/apps/chNN_*``), swept across its range in
    this process; None when the notebook has no app with a slider. The rest of a key→repaint time
    is transport (comm, websocket) and the browser's decode and paint."""
    import ipywidgets as W

    from helpers.apps import all_apps
    from tools.bench.ui import sweep_values

    times = []
    for name, cls in all_apps().items():
        if not name.startswith(f"ch{notebook[:2]}_"):
            continue
        panel = cls().panel()
        for control in panel.controls.values():
            if not isinstance(control, (W.IntSlider, W.FloatSlider, W.FloatLogSlider)) or control.disabled:
                continue
            start = control.value
            for value in sweep_values(control, 6):
                control.value = value
                times.append(panel.last_latency_ms)
            control.value = start
    return statistics.median(times) if times else None


# ----------------------------------------------------------------------------- tables
def summary_rows(name: str, result: dict) -> list[str]:
    """Printable lines: one per slider-bearing panel summary, one per player."""
    lines = []
    sliders = [c for c in result["controls"] if c["ms"]]
    all_ms = [ms for c in sliders if not c["player"] for ms in c["ms"]]
    if all_ms:
        worst = max(sliders, key=lambda c: statistics.median(c["ms"]) if not c["player"] else -1)
        lines.append(f"{name:34s} controls: median {statistics.median(all_ms):5.0f} ms, max {max(all_ms):5.0f} ms; "
                     f"slowest {worst['label'][:28]!r} median {statistics.median(worst['ms']):.0f} ms")
        legs = [leg for c in sliders if not c["player"] for leg in c.get("legs", []) if leg]
        if legs:
            sent, arrived, painted = (statistics.median(leg[i] for leg in legs) for i in range(3))
            lines.append(f"    where a slider move's time goes (medians): key → update sent {sent:.0f} ms; → new figure "
                         f"back in the page {arrived - sent:.0f} ms (kernel + transport); → decoded and painted "
                         f"{painted - arrived:.0f} ms")
        if result.get("kernel_ms") is not None:
            lines.append(f"    the kernel's share alone (update + render, measured in a quiet process): "
                         f"{result['kernel_ms']:.0f} ms")
    for c in result["controls"]:
        flag = "disabled: " + c["reason"] if c["disabled"] else ("NO CHANGE" if c["changed"] is False else "")
        ms = f"median {statistics.median(c['ms']):5.0f} max {max(c['ms']):5.0f} ms ({c['what']})" if c["ms"] else ""
        lines.append(f"    panel {c['panel']} {c['kind']:8s} {c['label'][:36]:36s} {ms} {flag}")
    for pl in result["players"]:
        lines.append(f"    player (panel {pl['panel']}): {pl['fps']:5.1f} fps, spacing median/max "
                     f"{pl['spacing_ms']} ms, {pl['steps']} updates in {pl['frames']} frames, "
                     f"pause took {pl['pause_ms']} ms, step made {pl['stepped']}")
    return lines


SLIDER_MEDIAN_MS, SLIDER_MAX_MS, PLAYER_FPS = 60, 120, 10      # issue 17's targets, on a quiet machine


def targets_tally(results: dict[str, dict]) -> list[str]:
    """Lines saying how many sliders and players meet the targets, and which do not.

    ``results``: ``{notebook name: check_notebook(...) result}``. A slider counts when its median
    key→repaint is at most ``SLIDER_MEDIAN_MS`` and its worst move at most ``SLIDER_MAX_MS``;
    a player when it painted at least ``PLAYER_FPS`` frames per second while playing."""
    sliders, players, misses = 0, 0, []
    met_sliders = met_players = 0
    for name, result in sorted(results.items()):
        for c in result["controls"]:
            if c["kind"] != "slider" or c["player"] or not c["ms"]:
                continue
            sliders += 1
            median, worst = statistics.median(c["ms"]), max(c["ms"])
            if median <= SLIDER_MEDIAN_MS and worst <= SLIDER_MAX_MS:
                met_sliders += 1
            else:
                misses.append(f"{name[:2]} {c['label'][:30]!r}: median {median:.0f} ms, worst {worst:.0f} ms")
        for pl in result["players"]:
            players += 1
            if pl["fps"] >= PLAYER_FPS:
                met_players += 1
            else:
                misses.append(f"{name[:2]} player (panel {pl['panel']}): {pl['fps']} frames per second")
    lines = [f"targets: {met_sliders} of {sliders} sliders at median <= {SLIDER_MEDIAN_MS} ms and worst <= "
             f"{SLIDER_MAX_MS} ms; {met_players} of {players} players at >= {PLAYER_FPS} frames per second"]
    lines += [f"    missed: {miss}" for miss in misses]
    return lines


def _selected(args: list[str]) -> list[Path]:
    wanted = args or os.environ.get("BROWSER_NOTEBOOKS", "").split()
    chosen = [nb for nb in NOTEBOOKS if not wanted or any(nb.name.startswith(w) for w in wanted)]
    if not chosen:
        raise ValueError(f"no notebook matches {wanted}; names start with 00 ... {NOTEBOOKS[-1].name[:2]}")
    return chosen


def run(report, notebooks: list[str] | None = None) -> None:
    import tempfile

    chosen = _selected(notebooks or [])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report.add(SECTION, "machine load (1-min average) at start", f"{load:.2f} on {os.cpu_count()} CPUs")
    results = {}
    with tempfile.TemporaryDirectory() as tmp, lab_server(Path(tmp), chosen) as (base, token), chromium() as browser:
        for nb in chosen:
            results[nb.name] = result = check_notebook(browser, base, token, nb.name)
            result["kernel_ms"] = kernel_ms(nb.name)
            for line in summary_rows(nb.name, result):
                print(line, flush=True)
            sliders = [ms for c in result["controls"] if c["ms"] and not c["player"] for ms in c["ms"]]
            if sliders:
                report.add(SECTION, f"{nb.stem} controls", f"median {statistics.median(sliders):.0f} ms, "
                                                          f"max {max(sliders):.0f} ms")
            for pl in result["players"]:
                report.add(SECTION, f"{nb.stem} player {pl['panel']}",
                           f"{pl['fps']} fps, spacing {pl['spacing_ms']} ms, pause {pl['pause_ms']} ms")
    for line in targets_tally(results):
        report.add(SECTION, "targets", line.strip())
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "browser.json").write_text(json.dumps(results, indent=1))
