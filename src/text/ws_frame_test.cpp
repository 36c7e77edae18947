// Tests for WebSocket client framing.
#include "text/ws_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ws_frame {

// Readable statuses in failure messages (found by argument-dependent lookup, so not in the
// unnamed namespace).
void PrintTo(ServerFrameReader::Status status, std::ostream* os) {
  switch (status) {
    case ServerFrameReader::Status::kMessage:
      *os << "kMessage";
      return;
    case ServerFrameReader::Status::kPing:
      *os << "kPing";
      return;
    case ServerFrameReader::Status::kPong:
      *os << "kPong";
      return;
    case ServerFrameReader::Status::kClose:
      *os << "kClose";
      return;
    case ServerFrameReader::Status::kNeedMore:
      *os << "kNeedMore";
      return;
    case ServerFrameReader::Status::kError:
      *os << "kError";
      return;
  }
  *os << "Status(" << static_cast<int>(status) << ")";
}

namespace {

using Status = ServerFrameReader::Status;

// The masking key of the example in RFC 6455 section 5.7.
constexpr std::uint8_t kRfcKey[4] = {0x37, 0xfa, 0x21, 0x3d};

// A string of the given byte values.
std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string Header(Opcode opcode, std::uint64_t size, const std::uint8_t (&key)[4] = kRfcKey) {
  std::string out;
  AppendClientHeader(out, opcode, size, key);
  return out;
}

// The header of an unmasked server frame, its length in the shortest form.
std::string ServerHeader(int byte0, std::uint64_t size) {
  std::string out(1, static_cast<char>(byte0));
  if (size < 126) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    out += Bytes({126, static_cast<int>(size >> 8), static_cast<int>(size & 0xFF)});
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
  return out;
}

// A whole unmasked server frame; byte0 is FIN | opcode.
std::string ServerFrame(int byte0, std::string_view payload) {
  return ServerHeader(byte0, payload.size()) + std::string(payload);
}

// A payload of `size` bytes that is not all one value.
std::string Filler(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client side.

TEST(WsFrame, HeaderOfAnEmptyPayload) {
  EXPECT_EQ(Header(Opcode::kText, 0), Bytes({0x81, 0x80, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(WsFrame, HeaderWithSevenBitLength) {
  EXPECT_EQ(Header(Opcode::kText, 5), Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
  EXPECT_EQ(Header(Opcode::kBinary, 125), Bytes({0x82, 0xfd, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(WsFrame, HeaderWithSixteenBitLength) {
  EXPECT_EQ(Header(Opcode::kText, 126), Bytes({0x81, 0xfe, 0x00, 0x7e, 0x37, 0xfa, 0x21, 0x3d}));
  EXPECT_EQ(Header(Opcode::kText, 0x1234), Bytes({0x81, 0xfe, 0x12, 0x34, 0x37, 0xfa, 0x21, 0x3d}));
  EXPECT_EQ(Header(Opcode::kBinary, 65535),
            Bytes({0x82, 0xfe, 0xff, 0xff, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(WsFrame, HeaderWithSixtyFourBitLength) {
  EXPECT_EQ(Header(Opcode::kText, 65536), Bytes({0x81, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                                                 0x00, 0x00, 0x37, 0xfa, 0x21, 0x3d}));
  const std::string big = Header(Opcode::kBinary, 0x0102030405060708ULL);
  EXPECT_EQ(big, Bytes({0x82, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x37, 0xfa,
                        0x21, 0x3d}));
  EXPECT_EQ(big.size(), kMaxClientHeaderBytes);
}

TEST(WsFrame, HeaderCarriesFinAndOpcodeAndTheKeyInWireOrder) {
  constexpr std::uint8_t key[4] = {0x01, 0x02, 0xfe, 0xff};
  EXPECT_EQ(Header(Opcode::kPong, 0, key), Bytes({0x8a, 0x80, 0x01, 0x02, 0xfe, 0xff}));
  EXPECT_EQ(Header(Opcode::kClose, 2, key), Bytes({0x88, 0x82, 0x01, 0x02, 0xfe, 0xff}));
  EXPECT_EQ(Header(Opcode::kPing, 1, key), Bytes({0x89, 0x81, 0x01, 0x02, 0xfe, 0xff}));
  EXPECT_EQ(Header(Opcode::kBinary, 3, key), Bytes({0x82, 0x83, 0x01, 0x02, 0xfe, 0xff}));
}

TEST(WsFrame, HeaderAppendsWithoutClearing) {
  std::string out = "ab";
  AppendClientHeader(out, Opcode::kText, 1, kRfcKey);
  EXPECT_EQ(out, "ab" + Bytes({0x81, 0x81, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(WsFrame, MaskRfcExample) {
  std::string data = "Hello";
  Mask(data.data(), data.size(), kRfcKey);
  EXPECT_EQ(data, Bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  Mask(data.data(), data.size(), kRfcKey);
  EXPECT_EQ(data, "Hello");
}

TEST(WsFrame, MaskOfZeroBytesTouchesNothing) {
  std::string data = "xyz";
  Mask(data.data(), 0, kRfcKey);
  EXPECT_EQ(data, "xyz");
}

TEST(WsFrame, MaskMatchesByteByByteReferenceForEveryLengthUpTo40) {
  constexpr std::uint8_t key[4] = {0x01, 0x80, 0x5a, 0xff};
  for (std::size_t size = 0; size <= 40; ++size) {
    // One byte of slack on each side, and the data at an odd address, to catch overruns and
    // misaligned word access.
    std::string buffer(size + 2, '\x11');
    for (std::size_t i = 0; i < size; ++i) buffer[1 + i] = static_cast<char>(i * 37 + 3);
    std::string expected = buffer;
    for (std::size_t i = 0; i < size; ++i) {
      expected[1 + i] = static_cast<char>(static_cast<std::uint8_t>(expected[1 + i]) ^ key[i % 4]);
    }
    const std::string original = buffer;
    Mask(buffer.data() + 1, size, key);
    EXPECT_EQ(buffer, expected) << "size " << size;
    Mask(buffer.data() + 1, size, key);
    EXPECT_EQ(buffer, original) << "size " << size;
  }
}

TEST(WsFrame, MaskOfKnownTwentyBytes) {
  std::string data(20, '\0');  // zeros: the result is the key repeated
  Mask(data.data(), data.size(), kRfcKey);
  std::string expected;
  for (int i = 0; i < 5; ++i) expected += Bytes({0x37, 0xfa, 0x21, 0x3d});
  EXPECT_EQ(data, expected);
}

TEST(WsFrame, ClientFrameRfcExample) {
  std::string out;
  AppendClientFrame(out, Opcode::kText, "Hello", kRfcKey);
  EXPECT_EQ(out, Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsFrame, ClientFrameAppendsAndMasksOnlyThePayload) {
  std::string out = "pre";
  AppendClientFrame(out, Opcode::kPong, "", kRfcKey);
  EXPECT_EQ(out, "pre" + Bytes({0x8a, 0x80, 0x37, 0xfa, 0x21, 0x3d}));

  // 126 zero bytes: 16-bit length, and the masked payload is the key repeated.
  std::string frame;
  AppendClientFrame(frame, Opcode::kBinary, std::string(126, '\0'), kRfcKey);
  ASSERT_EQ(frame.size(), 8u + 126u);
  EXPECT_EQ(frame.substr(0, 8), Bytes({0x82, 0xfe, 0x00, 0x7e, 0x37, 0xfa, 0x21, 0x3d}));
  for (std::size_t i = 0; i < 126; ++i) {
    EXPECT_EQ(static_cast<std::uint8_t>(frame[8 + i]), kRfcKey[i % 4]) << "byte " << i;
  }
}

TEST(WsFrame, ClosePayload) {
  EXPECT_EQ(ClosePayload(1000), std::string("\x03\xe8", 2));
  EXPECT_EQ(ClosePayload(1001), std::string("\x03\xe9", 2));
  EXPECT_EQ(ClosePayload(0xABCD), Bytes({0xab, 0xcd}));
  EXPECT_EQ(ClosePayload(0), std::string(2, '\0'));
}

// ---------------------------------------------------------------------------------------------
// Server frames.

TEST(ServerFrameReader, SingleTextFrameViewsTheInput) {
  const std::string input = Bytes({0x81, 0x02, 0x68, 0x69});
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 99;
  std::string_view payload;
  ASSERT_EQ(reader.Next(input, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "hi");
  EXPECT_EQ(consumed, 4u);
  EXPECT_EQ(payload.data(), input.data() + 2);  // no copy
}

TEST(ServerFrameReader, BinaryAndEmptyMessages) {
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string binary = Bytes({0x82, 0x03, 0x00, 0xff, 0x10});
  ASSERT_EQ(reader.Next(binary, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, Bytes({0x00, 0xff, 0x10}));
  EXPECT_EQ(consumed, 5u);
  const std::string empty = Bytes({0x81, 0x00});
  ASSERT_EQ(reader.Next(empty, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "");
  EXPECT_EQ(consumed, 2u);
}

TEST(ServerFrameReader, SeveralFramesInOneBufferOnePerCall) {
  const std::string big = Filler(300);
  const std::string input = ServerFrame(0x81, "one") + ServerFrame(0x89, "pi") +
                            ServerFrame(0x82, big) + ServerFrame(0x81, "") +
                            ServerFrame(0x8a, "po") + ServerFrame(0x88, "\x03\xe8");
  ServerFrameReader reader(1 << 20);
  std::size_t offset = 0;
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string_view all = input;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "one");
  EXPECT_EQ(consumed, 5u);
  offset += consumed;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kPing);
  EXPECT_EQ(payload, "pi");
  EXPECT_EQ(consumed, 4u);
  offset += consumed;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, big);
  EXPECT_EQ(payload.data(), input.data() + offset + 4);
  EXPECT_EQ(consumed, 304u);
  offset += consumed;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "");
  EXPECT_EQ(consumed, 2u);
  offset += consumed;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kPong);
  EXPECT_EQ(payload, "po");
  EXPECT_EQ(consumed, 4u);
  offset += consumed;

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kClose);
  EXPECT_EQ(payload, Bytes({0x03, 0xe8}));
  EXPECT_EQ(consumed, 4u);
  offset += consumed;
  EXPECT_EQ(offset, input.size());

  ASSERT_EQ(reader.Next(all.substr(offset), consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.needed(), 2u);
}

// Every strict prefix of `frame` must give kNeedMore, consume nothing, and ask for the given
// count; the whole frame must then give `payload` as a message.
void ExpectPrefixesNeedMore(const std::string& frame, std::size_t header,
                            const std::string& message) {
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 99;
  std::string_view payload;
  const std::string_view all = frame;
  for (std::size_t n = 0; n < frame.size(); ++n) {
    const std::size_t expected_needed = n < 2 ? 2 : n < header ? header : frame.size();
    ASSERT_EQ(reader.Next(all.substr(0, n), consumed, payload), Status::kNeedMore)
        << "prefix " << n;
    ASSERT_EQ(consumed, 0u) << "prefix " << n;
    ASSERT_EQ(reader.needed(), expected_needed) << "prefix " << n;
  }
  ASSERT_EQ(reader.Next(all, consumed, payload), Status::kMessage);
  EXPECT_EQ(consumed, frame.size());
  EXPECT_EQ(payload, message);
}

TEST(ServerFrameReader, PrefixesOfASevenBitFrame) {
  const std::string frame = Bytes({0x81, 0x02, 0x68, 0x69});
  ExpectPrefixesNeedMore(frame, 2, "hi");
  // needed() for a known length is header + payload.
  ServerFrameReader reader(100);
  std::size_t consumed = 0;
  std::string_view payload;
  ASSERT_EQ(reader.Next(Bytes({0x81, 0x05}), consumed, payload), Status::kNeedMore);
  EXPECT_EQ(reader.needed(), 7u);
}

TEST(ServerFrameReader, PrefixesOfASixteenBitFrame) {
  const std::string message = Filler(126);
  const std::string frame = ServerFrame(0x81, message);
  ASSERT_EQ(frame.substr(0, 4), Bytes({0x81, 0x7e, 0x00, 0x7e}));
  ExpectPrefixesNeedMore(frame, 4, message);
}

TEST(ServerFrameReader, PrefixesOfASixtyFourBitFrame) {
  const std::string message = Filler(70000);
  const std::string frame = ServerFrame(0x82, message);
  ASSERT_EQ(frame.substr(0, 10),
            Bytes({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x11, 0x70}));
  ASSERT_EQ(frame.size(), 70010u);
  ExpectPrefixesNeedMore(frame, 10, message);
}

TEST(ServerFrameReader, FragmentedMessageWithAPingBetween) {
  const std::string input = Bytes({0x01, 0x03, 'H', 'e', 'l'}) + Bytes({0x89, 0x01, 'p'}) +
                            Bytes({0x00, 0x03, 'l', 'o', ' '}) +
                            Bytes({0x80, 0x05, 'w', 'o', 'r', 'l', 'd'});
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string_view all = input;

  ASSERT_EQ(reader.Next(all, consumed, payload), Status::kPing);
  EXPECT_EQ(payload, "p");
  EXPECT_EQ(consumed, 8u);  // the first fragment (5) and the ping (3)
  EXPECT_EQ(payload.data(), input.data() + 7);

  ASSERT_EQ(reader.Next(all.substr(8), consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "Hello world");
  EXPECT_EQ(consumed, 12u);

  // The reader is usable again for an ordinary message, and the old fragments are gone.
  const std::string next = ServerFrame(0x81, "again");
  ASSERT_EQ(reader.Next(next, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "again");
  EXPECT_EQ(consumed, 7u);

  // And for another fragmented one.
  const std::string second = ServerFrame(0x02, "ab") + ServerFrame(0x80, "c");
  ASSERT_EQ(reader.Next(second, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "abc");
  EXPECT_EQ(consumed, 7u);
}

TEST(ServerFrameReader, NeedMoreAfterATakenFragment) {
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 0;
  std::string_view payload;

  // A first fragment and the first byte of the next frame's header.
  const std::string first = ServerFrame(0x01, "Hel") + Bytes({0x80});
  ASSERT_EQ(reader.Next(first, consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 5u);
  EXPECT_EQ(reader.needed(), 2u);

  // The continuation's header only: needed() counts from that header.
  const std::string second = Bytes({0x00, 0x03});
  ASSERT_EQ(reader.Next(second, consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.needed(), 5u);

  // A whole continuation then a partial final one.
  const std::string third = ServerFrame(0x00, "lo ") + Bytes({0x80, 0x05, 'w', 'o'});
  ASSERT_EQ(reader.Next(third, consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 5u);
  EXPECT_EQ(reader.needed(), 7u);

  const std::string last = ServerFrame(0x80, "world");
  ASSERT_EQ(reader.Next(last, consumed, payload), Status::kMessage);
  EXPECT_EQ(payload, "Hello world");
  EXPECT_EQ(consumed, 7u);
}

TEST(ServerFrameReader, NeedMoreAfterAFragmentWithALongContinuation) {
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string tail = Filler(200);
  const std::string input = ServerFrame(0x01, "ab") + ServerFrame(0x80, tail);
  const std::string_view all = input;
  // First fragment (4 bytes) plus 3 bytes of the 16-bit header.
  ASSERT_EQ(reader.Next(all.substr(0, 7), consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 4u);
  EXPECT_EQ(reader.needed(), 4u);
  ASSERT_EQ(reader.Next(all.substr(4, 4), consumed, payload), Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(reader.needed(), 204u);
  ASSERT_EQ(reader.Next(all.substr(4), consumed, payload), Status::kMessage);
  EXPECT_EQ(consumed, 204u);
  EXPECT_EQ(payload, "ab" + tail);
}

struct Event {
  Status status;
  std::string payload;
};

// Feeds `stream` to a reader `chunk` bytes at a time, as a connection would: buffer what
// arrives, call Next until it needs more, drop the consumed bytes.
std::vector<Event> Drive(std::string_view stream, std::size_t chunk, std::size_t max) {
  ServerFrameReader reader(max);
  std::vector<Event> events;
  std::string buffer;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    buffer.append(stream.substr(at, chunk));
    while (true) {
      std::size_t consumed = 0;
      std::string_view payload;
      const Status status = reader.Next(buffer, consumed, payload);
      if (status == Status::kError) {
        events.push_back({status, reader.error()});
        return events;
      }
      if (status != Status::kNeedMore) events.push_back({status, std::string(payload)});
      buffer.erase(0, consumed);
      if (status == Status::kNeedMore) {
        EXPECT_GT(reader.needed(), buffer.size());
        break;
      }
    }
  }
  EXPECT_EQ(buffer, "");
  return events;
}

TEST(ServerFrameReader, StreamInAnyChunkingGivesTheSameEvents) {
  const std::string big = Filler(1000);
  const std::string stream = ServerFrame(0x81, "a") + ServerFrame(0x01, "Hel") +
                             ServerFrame(0x89, "p1") + ServerFrame(0x00, "lo") +
                             ServerFrame(0x8a, "") + ServerFrame(0x00, big.substr(0, 500)) +
                             ServerFrame(0x80, big.substr(500)) + ServerFrame(0x82, big) +
                             ServerFrame(0x88,
                                         "\x03\xe8"
                                         "bye");
  for (const std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 5000u}) {
    const std::vector<Event> events = Drive(stream, chunk, 4096);
    ASSERT_EQ(events.size(), 6u) << "chunk " << chunk;
    EXPECT_EQ(events[0].status, Status::kMessage);
    EXPECT_EQ(events[0].payload, "a");
    EXPECT_EQ(events[1].status, Status::kPing);
    EXPECT_EQ(events[1].payload, "p1");
    EXPECT_EQ(events[2].status, Status::kPong);
    EXPECT_EQ(events[2].payload, "");
    EXPECT_EQ(events[3].status, Status::kMessage);
    EXPECT_EQ(events[3].payload, "Hello" + big) << "chunk " << chunk;
    EXPECT_EQ(events[4].status, Status::kMessage);
    EXPECT_EQ(events[4].payload, big);
    EXPECT_EQ(events[5].status, Status::kClose);
    EXPECT_EQ(events[5].payload,
              "\x03\xe8"
              "bye");
  }
}

TEST(ServerFrameReader, PongAndClose) {
  ServerFrameReader reader(1 << 20);
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string pong = Bytes({0x8a, 0x03, 'x', 'y', 'z'});
  ASSERT_EQ(reader.Next(pong, consumed, payload), Status::kPong);
  EXPECT_EQ(payload, "xyz");
  EXPECT_EQ(consumed, 5u);

  const std::string close = Bytes({0x88, 0x04, 0x03, 0xe8, 'o', 'k'});
  ASSERT_EQ(reader.Next(close, consumed, payload), Status::kClose);
  EXPECT_EQ(payload, Bytes({0x03, 0xe8, 'o', 'k'}));
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(payload.data(), close.data() + 2);

  const std::string empty_close = Bytes({0x88, 0x00});
  ASSERT_EQ(reader.Next(empty_close, consumed, payload), Status::kClose);
  EXPECT_EQ(payload, "");
  EXPECT_EQ(consumed, 2u);
}

TEST(ServerFrameReader, ControlFrameOf125BytesIsAccepted) {
  ServerFrameReader reader(10);  // the message limit does not apply to control frames
  std::size_t consumed = 0;
  std::string_view payload;
  const std::string body = Filler(125);
  const std::string ping = Bytes({0x89, 0x7d}) + body;
  ASSERT_EQ(reader.Next(ping, consumed, payload), Status::kPing);
  EXPECT_EQ(payload, body);
  EXPECT_EQ(consumed, 127u);
}

struct ErrorCase {
  const char* name;
  std::string input;
  std::size_t max;
};

std::vector<ErrorCase> ErrorCases() {
  const std::string zeros126(126, '\0');
  return {
      {"reserved bits RSV1 and RSV2", Bytes({0xc1, 0x02, 'h', 'i'}), 1000},
      {"reserved bit RSV1", Bytes({0xc1, 0x00}), 1000},
      {"reserved bit RSV2", Bytes({0xa1, 0x00}), 1000},
      {"reserved bit RSV3", Bytes({0x91, 0x00}), 1000},
      {"masked server frame", Bytes({0x81, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5f, 0x93}), 1000},
      {"unknown data opcode 0x3", Bytes({0x83, 0x00}), 1000},
      {"unknown data opcode 0x7", Bytes({0x87, 0x01, 'x'}), 1000},
      {"unknown control opcode 0xB", Bytes({0x8b, 0x00}), 1000},
      {"unknown control opcode 0xF", Bytes({0x8f, 0x01, 'x'}), 1000},
      {"fragmented ping", Bytes({0x09, 0x01, 'p'}), 1000},
      {"fragmented close", Bytes({0x08, 0x00}), 1000},
      {"ping of 126 bytes", Bytes({0x89, 0x7e, 0x00, 0x7e}) + zeros126, 1000},
      {"close of 126 bytes, header only", Bytes({0x88, 0x7e, 0x00, 0x7e}), 1000},
      {"continuation without a message", Bytes({0x80, 0x02, 'h', 'i'}), 1000},
      {"non-final continuation without a message", Bytes({0x00, 0x02, 'h', 'i'}), 1000},
      {"text frame inside a fragmented message",
       Bytes({0x01, 0x03, 'H', 'e', 'l', 0x81, 0x02, 'h', 'i'}), 1000},
      {"binary frame inside a fragmented message",
       Bytes({0x01, 0x03, 'H', 'e', 'l', 0x02, 0x02, 'h', 'i'}), 1000},
      {"16-bit length below 126", Bytes({0x81, 0x7e, 0x00, 0x7d}) + std::string(125, 'x'), 1000},
      {"16-bit length of 0", Bytes({0x81, 0x7e, 0x00, 0x00}), 1000},
      {"64-bit length of 65535, header only",
       Bytes({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}), 1 << 20},
      {"64-bit length of 5", Bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'}),
       1 << 20},
      {"64-bit length with the top bit set",
       Bytes({0x82, 0x7f, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}), 1 << 20},
      {"message over the maximum, 7-bit header only", Bytes({0x81, 0x0b}), 10},
      {"message over the maximum, 16-bit header only", Bytes({0x82, 0x7e, 0x03, 0xe9}), 1000},
      {"message over the maximum, 64-bit header only",
       Bytes({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}), 65536},
      {"fragments over the maximum",
       ServerFrame(0x01, "abcdef") + ServerFrame(0x00, "gh") + ServerFrame(0x80, "ijk"), 10},
      {"fragments over the maximum, header of the last only",
       ServerFrame(0x01, "abcdef") + ServerFrame(0x00, "gh") + Bytes({0x80, 0x03}), 10},
  };
}

TEST(ServerFrameReader, ErrorsAreReportedAndStick) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.name);
    ServerFrameReader reader(c.max);
    std::size_t consumed = 0;
    std::string_view payload;
    EXPECT_EQ(reader.Next(c.input, consumed, payload), Status::kError);
    EXPECT_NE(reader.error(), "");
    // The reader stays failed, even for a valid frame.
    const std::string valid = Bytes({0x81, 0x02, 'h', 'i'});
    EXPECT_EQ(reader.Next(valid, consumed, payload), Status::kError);
    EXPECT_EQ(consumed, 0u);
    EXPECT_EQ(payload, "");
    EXPECT_NE(reader.error(), "");
    EXPECT_EQ(reader.Next(Bytes({0x89, 0x00}), consumed, payload), Status::kError);
  }
}

TEST(ServerFrameReader, ErrorsAcrossCalls) {
  {
    SCOPED_TRACE("new text frame after a fragment taken in an earlier call");
    ServerFrameReader reader(1000);
    std::size_t consumed = 0;
    std::string_view payload;
    ASSERT_EQ(reader.Next(ServerFrame(0x01, "Hel"), consumed, payload), Status::kNeedMore);
    EXPECT_EQ(consumed, 5u);
    EXPECT_EQ(reader.Next(ServerFrame(0x81, "hi"), consumed, payload), Status::kError);
    EXPECT_NE(reader.error(), "");
  }
  {
    SCOPED_TRACE("fragments over the maximum across calls");
    ServerFrameReader reader(10);
    std::size_t consumed = 0;
    std::string_view payload;
    ASSERT_EQ(reader.Next(ServerFrame(0x01, "abcdef"), consumed, payload), Status::kNeedMore);
    ASSERT_EQ(reader.Next(ServerFrame(0x00, "ghij"), consumed, payload), Status::kNeedMore);
    EXPECT_EQ(reader.Next(Bytes({0x80, 0x01}), consumed, payload), Status::kError);
    EXPECT_NE(reader.error(), "");
    EXPECT_EQ(reader.Next(ServerFrame(0x81, "hi"), consumed, payload), Status::kError);
  }
  {
    SCOPED_TRACE("continuation after a finished fragmented message");
    ServerFrameReader reader(1000);
    std::size_t consumed = 0;
    std::string_view payload;
    ASSERT_EQ(reader.Next(ServerFrame(0x01, "a") + ServerFrame(0x80, "b"), consumed, payload),
              Status::kMessage);
    EXPECT_EQ(payload, "ab");
    EXPECT_EQ(reader.Next(ServerFrame(0x80, "c"), consumed, payload), Status::kError);
  }
}

TEST(ServerFrameReader, NoErrorBeforeAnErrorCanBeKnown) {
  // With only part of an extended length, the reader cannot judge it yet.
  ServerFrameReader reader(10);
  std::size_t consumed = 0;
  std::string_view payload;
  ASSERT_EQ(reader.Next(Bytes({0x82, 0x7f, 0x00, 0x00}), consumed, payload), Status::kNeedMore);
  EXPECT_EQ(reader.needed(), 10u);
  EXPECT_EQ(reader.error(), "");
}

TEST(ServerFrameReader, MessageOfExactlyTheMaximumIsAccepted) {
  std::size_t consumed = 0;
  std::string_view payload;
  {
    ServerFrameReader reader(10);
    const std::string frame = ServerFrame(0x81, "0123456789");
    ASSERT_EQ(reader.Next(frame, consumed, payload), Status::kMessage);
    EXPECT_EQ(payload, "0123456789");
    EXPECT_EQ(consumed, 12u);
  }
  {
    ServerFrameReader reader(10);
    const std::string frames =
        ServerFrame(0x01, "0123") + ServerFrame(0x00, "45") + ServerFrame(0x80, "6789");
    ASSERT_EQ(reader.Next(frames, consumed, payload), Status::kMessage);
    EXPECT_EQ(payload, "0123456789");
    EXPECT_EQ(consumed, frames.size());
  }
  {
    ServerFrameReader reader(70000);
    const std::string body = Filler(70000);
    const std::string frame = ServerFrame(0x82, body);
    ASSERT_EQ(reader.Next(frame, consumed, payload), Status::kMessage);
    EXPECT_EQ(payload, body);
    EXPECT_EQ(consumed, 70010u);
  }
  {
    ServerFrameReader reader(126);
    const std::string body = Filler(126);
    const std::string frame = ServerFrame(0x81, body);
    ASSERT_EQ(reader.Next(frame, consumed, payload), Status::kMessage);
    EXPECT_EQ(payload, body);
  }
}

}  // namespace
}  // namespace ws_frame
