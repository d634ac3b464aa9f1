//! The protobuf codec every generated client and server uses: tonic's prost codec with small buffers.
//! tonic gives each call, and each message of a stream, an 8 KiB buffer up front; a session holds one
//! StreamCandidates stream for its whole life on each side (the gateway encoding, the bridge decoding), and
//! its messages are a few hundred bytes, so at 10,000 held sessions the defaults are 160 MiB of buffers
//! that stay almost empty. A bigger message (an SDP offer or answer) grows its buffer as it is encoded or
//! read.

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// Initial buffer per call or stream message.
const BUFFER_BYTES: usize = 1024;
/// Encoded bytes a server stream buffers before yielding them to the transport (tonic's default).
const YIELD_THRESHOLD: usize = 32 * 1024;

fn settings() -> BufferSettings {
    BufferSettings::new(BUFFER_BYTES, YIELD_THRESHOLD)
}

/// [`ProstCodec`] with [`BUFFER_BYTES`] buffers.
#[derive(Debug, Clone, Copy)]
pub struct LeanCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for LeanCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for LeanCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(settings())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::raw_decoder(settings())
    }
}
