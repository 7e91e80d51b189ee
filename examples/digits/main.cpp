// The example application: the digits model is a static library linked into
// this program; no model file, interpreter or Python is needed at run time.
#include "digits.h"
#include "samples.h"

#include <cstdio>

int main() {
  digits::v1::Model model;
  if (!model.ok()) {
    std::fprintf(stderr, "cannot create the model: %s\n", nnm_status_string(model.status()));
    return 1;
  }
  int correct = 0;
  for (int s = 0; s < kNumSamples; ++s) {
    float probs[DIGITS_V1_OUTPUT_PROBABILITIES_SIZE];
    if (nnm_status st = model.run(kSamples[s], probs); st != NNM_OK) {
      std::fprintf(stderr, "run failed: %s\n", nnm_status_string(st));
      return 1;
    }
    int best = 0;
    for (int k = 1; k < 10; ++k)
      if (probs[k] > probs[best])
        best = k;
    correct += best == kSampleLabels[s];
    std::printf("digit %d: predicted %d (p=%.3f)\n", kSampleLabels[s], best, probs[best]);
  }
  std::printf("prediction: %d of %d held-out digits correct (model digits %s)\n", correct,
              kNumSamples, digits_v1_version());
  return 0;
}
