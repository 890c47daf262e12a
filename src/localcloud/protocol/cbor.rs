//! Smithy RPC v2 CBOR (CloudWatch): `POST /service/{ServiceName}/operation/{Operation}`
//! with the header `smithy-protocol: rpc-v2-cbor` and a CBOR map as the
//! body; the answer is a CBOR map, an error a map with `__type` and
//! `message`.
//!
//! Inputs are read into a [`serde_json::Value`] so that a service reads its
//! operations' inputs with serde exactly as a JSON service does (a CBOR
//! timestamp, tag 1, becomes its number of epoch seconds; a byte string
//! becomes base64 text). Outputs are written from a `serde_json::Value`
//! too; since JSON has no timestamps, the service names the members that
//! hold one (as epoch seconds), and they are written as tag 1 with a
//! floating-point number, as the protocol requires. Encoding and decoding
//! are done with `minicbor`.
//!
//! Services that were query services before (CloudWatch) are "query
//! compatible": their errors also carry the header
//! `x-amzn-query-error: Code;Sender`, from which the clients take the
//! error code the query protocol used.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minicbor::data::{IanaTag, Tag, Type};
use minicbor::{Decoder, Encoder};
use serde_json::{Map, Number, Value};

use super::error::ApiError;
use super::json::QUERY_ERROR_HEADER;
use super::{PROTOCOL_HEADER, RPC_V2_CBOR, with_request_id};

/// The content type of requests and answers.
pub const APPLICATION_CBOR: &str = "application/cbor";

/// How deep maps and arrays may nest in a request.
const MAX_DEPTH: u32 = 64;

/// The error for a request of this protocol that is not `POST`.
pub fn check_method(method: &Method) -> Result<(), ApiError> {
    if *method == Method::POST {
        Ok(())
    } else {
        Err(ApiError::with_status(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            format!(
                "RPC v2 CBOR requests must be sent as POST /service/<ServiceName>/operation/<Operation>, not {method}."
            ),
        ))
    }
}

/// Reads a request body as a map; an empty body counts as an empty map.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut decoder = Decoder::new(body);
    let value = read_value(&mut decoder, 0).map_err(|problem| {
        ApiError::serialization(format!(
            "The request body is not valid CBOR ({problem}); send a CBOR map with the operation's members."
        ))
    })?;
    if decoder.position() != body.len() {
        return Err(ApiError::serialization(
            "The request body has bytes after its CBOR map; send exactly one map.",
        ));
    }
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::serialization(
            "The request body must be a CBOR map with the operation's members.",
        ))
    }
}

/// Reads one data item.
fn read_value(decoder: &mut Decoder<'_>, depth: u32) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("maps and arrays nest deeper than {MAX_DEPTH}"));
    }
    let problem = |error: minicbor::decode::Error| error.to_string();
    Ok(match decoder.datatype().map_err(problem)? {
        Type::Bool => Value::Bool(decoder.bool().map_err(problem)?),
        Type::Null => {
            decoder.null().map_err(problem)?;
            Value::Null
        }
        Type::Undefined => {
            decoder.undefined().map_err(problem)?;
            Value::Null
        }
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => {
            Value::Number(decoder.u64().map_err(problem)?.into())
        }
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => {
            Value::Number(decoder.i64().map_err(problem)?.into())
        }
        Type::F16 | Type::F32 | Type::F64 => {
            let number = decoder.f64().map_err(problem)?;
            Value::Number(
                Number::from_f64(number)
                    .ok_or_else(|| format!("the number {number} is not finite"))?,
            )
        }
        Type::Bytes | Type::BytesIndef => {
            let mut bytes = Vec::new();
            for chunk in decoder.bytes_iter().map_err(problem)? {
                bytes.extend_from_slice(chunk.map_err(problem)?);
            }
            Value::String(STANDARD.encode(bytes))
        }
        Type::String | Type::StringIndef => Value::String(read_text(decoder)?),
        Type::Array | Type::ArrayIndef => {
            let length = decoder.array().map_err(problem)?;
            let mut items = Vec::new();
            each_item(decoder, length, |decoder| {
                items.push(read_value(decoder, depth + 1)?);
                Ok(())
            })?;
            Value::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let length = decoder.map().map_err(problem)?;
            let mut members = Map::new();
            each_item(decoder, length, |decoder| {
                let key = match decoder.datatype().map_err(problem)? {
                    Type::String | Type::StringIndef => read_text(decoder)?,
                    other => return Err(format!("a map key is a {other}, not text")),
                };
                let value = read_value(decoder, depth + 1)?;
                members.insert(key, value);
                Ok(())
            })?;
            Value::Object(members)
        }
        Type::Tag => {
            // A timestamp (tag 1) is its number of epoch seconds; other
            // tags are read as what they tag.
            let _tag: Tag = decoder.tag().map_err(problem)?;
            read_value(decoder, depth + 1)?
        }
        other => return Err(format!("unexpected {other}")),
    })
}

/// Reads a text string, in one piece or in chunks.
fn read_text(decoder: &mut Decoder<'_>) -> Result<String, String> {
    let mut text = String::new();
    for chunk in decoder.str_iter().map_err(|error| error.to_string())? {
        text.push_str(chunk.map_err(|error| error.to_string())?);
    }
    Ok(text)
}

/// Calls `item` for each item of an array or map of `length` items (pairs,
/// for a map), or until the break of an indefinite one.
fn each_item(
    decoder: &mut Decoder<'_>,
    length: Option<u64>,
    mut item: impl FnMut(&mut Decoder<'_>) -> Result<(), String>,
) -> Result<(), String> {
    match length {
        Some(length) => {
            for _ in 0..length {
                item(decoder)?;
            }
        }
        None => loop {
            if decoder.datatype().map_err(|error| error.to_string())? == Type::Break {
                decoder.skip().map_err(|error| error.to_string())?;
                break;
            }
            item(decoder)?;
        },
    }
    Ok(())
}

/// Writes `value` as CBOR. Members named in `timestamps` whose value is a
/// number (epoch seconds) are written as timestamps; other whole numbers as
/// integers, and numbers with a fraction (or written as floating point,
/// such as a threshold of `5.0`) as 64-bit floats. `null` members are left
/// out, as AWS leaves absent members out.
pub fn encode(value: &Value, timestamps: &[&str]) -> Vec<u8> {
    let mut encoder = Encoder::new(Vec::new());
    write_value(&mut encoder, value, false, timestamps);
    encoder.into_writer()
}

/// Writes one value; `is_timestamp` when its member holds a timestamp.
fn write_value(
    encoder: &mut Encoder<Vec<u8>>,
    value: &Value,
    is_timestamp: bool,
    timestamps: &[&str],
) {
    // Writing to a `Vec` cannot fail, so the results carry nothing.
    let _ = match value {
        Value::Null => encoder.null(),
        Value::Bool(flag) => encoder.bool(*flag),
        Value::Number(number) if is_timestamp => encoder
            .tag(IanaTag::Timestamp)
            .and_then(|encoder| encoder.f64(number.as_f64().unwrap_or_default())),
        Value::Number(number) => {
            if let Some(whole) = number.as_u64() {
                encoder.u64(whole)
            } else if let Some(whole) = number.as_i64() {
                encoder.i64(whole)
            } else {
                encoder.f64(number.as_f64().unwrap_or_default())
            }
        }
        Value::String(text) => encoder.str(text),
        Value::Array(items) => {
            let _ = encoder.array(items.len() as u64);
            for item in items {
                write_value(encoder, item, is_timestamp, timestamps);
            }
            Ok(&mut *encoder)
        }
        Value::Object(members) => {
            let present: Vec<(&String, &Value)> = members
                .iter()
                .filter(|(_, member)| !member.is_null())
                .collect();
            let _ = encoder.map(present.len() as u64);
            for (name, member) in present {
                let _ = encoder.str(name);
                let is_timestamp = timestamps.contains(&name.as_str());
                write_value(encoder, member, is_timestamp, timestamps);
            }
            Ok(&mut *encoder)
        }
    };
}

/// A successful answer with the CBOR `body`.
pub fn cbor_response(body: Vec<u8>, request_id: &str) -> Response {
    let response = (
        StatusCode::OK,
        [
            (CONTENT_TYPE, APPLICATION_CBOR),
            (HeaderName::from_static(PROTOCOL_HEADER), RPC_V2_CBOR),
        ],
        body,
    )
        .into_response();
    with_request_id(response, request_id)
}

/// An error: a map with `__type` (the error's shape, `type_name`, e.g.
/// `com.amazonaws.cloudwatch#ResourceNotFound`) and `message`, with the
/// query code of `error` in `x-amzn-query-error`.
pub fn cbor_error(error: &ApiError, type_name: &str, request_id: &str) -> Response {
    let body = encode(
        &serde_json::json!({ "__type": type_name, "message": error.message }),
        &[],
    );
    let mut response = (
        error.status,
        [
            (CONTENT_TYPE, APPLICATION_CBOR),
            (HeaderName::from_static(PROTOCOL_HEADER), RPC_V2_CBOR),
        ],
        body,
    )
        .into_response();
    let fault = if error.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{};{fault}", error.code)) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(QUERY_ERROR_HEADER), value);
    }
    with_request_id(response, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_round_trip_with_timestamps_tagged_and_nulls_left_out() {
        let value = serde_json::json!({
            "Name": "high-cpu",
            "Period": 60,
            "Offset": -3,
            "Threshold": 5.0,
            "Updated": 1_700_000_000.5,
            "Gone": null,
            "List": [{"Key": "a"}, true]
        });
        let bytes = encode(&value, &["Updated"]);
        // The timestamp is tag 1 (0xc1) followed by a 64-bit float (0xfb).
        let at = bytes
            .windows(2)
            .position(|pair| pair == [0xc1, 0xfb])
            .expect("a tagged timestamp");
        assert!(at > 0);
        let back = parse_body(&bytes).unwrap();
        assert_eq!(back["Name"], "high-cpu");
        assert_eq!(back["Period"], 60);
        assert_eq!(back["Offset"], -3);
        assert!(back["Threshold"].is_f64());
        assert_eq!(back["Updated"], 1_700_000_000.5);
        assert!(back.get("Gone").is_none());
        assert_eq!(back["List"][0]["Key"], "a");
    }

    #[test]
    fn indefinite_lengths_and_byte_strings_are_read() {
        // {_ "a": [_ 1, 2], "b": h'0102'} with indefinite map and array.
        let bytes = [
            0xbf, 0x61, b'a', 0x9f, 0x01, 0x02, 0xff, 0x61, b'b', 0x42, 0x01, 0x02, 0xff,
        ];
        let value = parse_body(&bytes).unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2], "b": "AQI="}));
    }

    #[test]
    fn bodies_that_are_not_one_map_are_refused() {
        assert_eq!(parse_body(b"").unwrap(), serde_json::json!({}));
        for bytes in [
            &[0x01][..],
            &[0xa1, 0x01, 0x02],
            &[0xa0, 0xa0],
            &[0xa1, 0x61],
        ] {
            let error = parse_body(bytes).unwrap_err();
            assert_eq!(error.code, "SerializationException", "{bytes:?}");
        }
    }
}
