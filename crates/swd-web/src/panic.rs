//! A Rust panic must never surface in the page as an opaque `RuntimeError: unreachable`: the
//! hook logs it and remembers its message, and every later call rejects with an `Error`
//! saying the generator crashed (wasm cannot unwind, so the instance is not usable after one).

use std::cell::RefCell;

thread_local! {
    static CRASH: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let msg = swd_core::error::panic_message(info);
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let text = format!("internal error: {msg}{at}");
        web_sys::console::error_1(&format!("swd-web: {text}").into());
        CRASH.with(|c| *c.borrow_mut() = Some(text));
    }));
}

/// The message of the panic that killed this instance, if one did.
pub fn crashed() -> Option<String> {
    CRASH.with(|c| c.borrow().clone())
}
