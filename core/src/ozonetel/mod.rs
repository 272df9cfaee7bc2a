//! Ozonetel CloudAgent client.
