/* deckhand-shim: the per-pod helper of the built-in runtime (shim.h). */
#include "cri/builtin/shim.h"

int main(int argc, char **argv)
{
        return shim_main(argc, argv);
}
