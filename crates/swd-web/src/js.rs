//! Small helpers over `js_sys` for reading option objects with precise errors, clocks and
//! callbacks; they work in a page and in a worker alike.

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsError, JsValue};

/// An `Error` whose message the page can show as is.
pub fn error(msg: impl AsRef<str>) -> JsError {
    JsError::new(msg.as_ref())
}

/// `value` as a plain object (undefined/null → none), else an error naming `what`.
pub fn object(value: &JsValue, what: &str) -> Result<Option<Object>, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Err(error(format!("{what} must be an object, got {}", type_name(value))));
    }
    Ok(Some(value.clone().unchecked_into()))
}

pub fn keys(obj: &Object) -> Vec<String> {
    Object::keys(obj).iter().filter_map(|k| k.as_string()).collect()
}

/// `obj[key]`, undefined when absent.
pub fn get(obj: &Object, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
    }
}

pub fn optional_string(obj: &Object, key: &str, what: &str) -> Result<Option<String>, JsError> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| error(format!("{what}.{key} must be a string, got {}", type_name(&v))))
}

pub fn optional_number(obj: &Object, key: &str, what: &str) -> Result<Option<f64>, JsError> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Ok(None);
    }
    v.as_f64().map(Some).ok_or_else(|| error(format!("{what}.{key} must be a number, got {}", type_name(&v))))
}

pub fn optional_function(obj: &Object, key: &str, what: &str) -> Result<Option<Function>, JsError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.dyn_into::<Function>().map(Some).map_err(|v| error(format!("{what}.{key} must be a function, got {}", type_name(&v))))
}

/// A file given as a string (UTF-8 text), a `Uint8Array` or an `ArrayBuffer`.
pub fn bytes(obj: &Object, key: &str, what: &str) -> Result<Vec<u8>, JsError> {
    let v = get(obj, key);
    if let Some(text) = v.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(array) = v.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    if v.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(&v).to_vec());
    }
    Err(error(format!("{what}.{key} must be a string, Uint8Array or ArrayBuffer, got {}", type_name(&v))))
}

/// `performance.now()` of the page or worker, in ms.
pub fn now_ms() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&performance, &"now".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|now| now.call0(&performance).ok())
        .and_then(|t| t.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

/// A plain object from key/value pairs.
pub fn record(pairs: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj
}

/// Calls a user callback; an exception thrown there rejects the generation with its message.
pub fn call(callback: &Function, arg: &JsValue, what: &str) -> Result<(), JsError> {
    callback.call1(&JsValue::NULL, arg).map(|_| ()).map_err(|e| {
        let msg = Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{e:?}"));
        error(format!("{what} callback threw: {msg}"))
    })
}

/// A `{ width, height, data: Uint8ClampedArray }` image from RGBA bytes.
pub fn image(width: usize, height: usize, rgba: &[u8]) -> Object {
    let data = js_sys::Uint8ClampedArray::new_with_length(rgba.len() as u32);
    data.copy_from(rgba);
    record(&[("width", (width as u32).into()), ("height", (height as u32).into()), ("data", data.into())])
}
